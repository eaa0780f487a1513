import { describe, expect, it } from 'vitest';
import {
  METADATA_VERSIONS,
  renderMetadata,
  type MetadataContext,
} from '../../../src/network/metadata.js';

const MAC = '52:54:00:ab:cd:ef';
const ctx: MetadataContext = {
  instanceId: 'i-0123456789abcdef0',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.micro',
  reservationId: 'r-0123456789abcdef0',
  launchIndex: 0,
  privateIp: '10.0.1.5',
  publicIp: '100.80.0.3',
  mac: MAC,
  localHostname: 'ip-10-0-1-5.kumo.internal',
  keyName: 'me',
  publicKey: 'ssh-ed25519 AAAA me',
  userData: new TextEncoder().encode('#cloud-config\n'),
  region: 'kumo-local-1',
  availabilityZone: 'kumo-local-1a',
  launchTime: new Date('2026-01-01T00:00:00.123Z'),
  ownerId: 'kumo',
  securityGroups: ['default', 'ssh'],
  securityGroupIds: ['sg-1', 'sg-2'],
  interface: {
    id: 'eni-0123',
    subnetId: 'subnet-1',
    subnetCidr: '10.0.1.0/24',
    vpcId: 'vpc-1',
    vpcCidrs: ['10.0.0.0/16'],
  },
  blockDevices: { root: '/dev/vda', others: ['/dev/sdf', '/dev/sdg'] },
  tags: [
    { key: 'Name', value: 'web' },
    { key: 'has space', value: 'left out' },
  ],
};
const get = (p: string, c: MetadataContext = ctx) => {
  const r = renderMetadata(c, p);
  return {
    status: r.status,
    body: typeof r.body === 'string' ? r.body : new TextDecoder().decode(r.body),
  };
};
const body = (p: string, c?: MetadataContext) => get(p, c).body;

describe('the metadata tree, as EC2 lists it', () => {
  it('lists the versions at the root, latest last, without a trailing newline', () => {
    const root = body('/');
    expect(root.split('\n')).toEqual(METADATA_VERSIONS);
    expect(root).toContain('2009-04-04\n');
    expect(root).toContain('2021-03-23\n');
    expect(root.endsWith('latest')).toBe(true);
  });

  it('serves the same tree under latest/ and the dated versions cloud-init probes', () => {
    for (const v of ['latest', '2021-03-23', '2018-09-24', '2016-09-02', '2009-04-04']) {
      expect(get(`/${v}/meta-data/instance-id`)).toEqual({ status: 200, body: ctx.instanceId });
      expect(body(`/${v}/`)).toBe('dynamic\nmeta-data\nuser-data');
    }
    expect(get('/2099-01-01/meta-data/instance-id').status).toBe(404);
    expect(body('/latest/', { ...ctx, userData: undefined })).toBe('dynamic\nmeta-data');
  });

  it('lists meta-data/ exactly: sorted, directories with a slash, no trailing newline', () => {
    expect(body('/latest/meta-data/')).toBe(
      [
        'ami-id',
        'ami-launch-index',
        'ami-manifest-path',
        'block-device-mapping/',
        'hostname',
        'instance-action',
        'instance-id',
        'instance-life-cycle',
        'instance-type',
        'local-hostname',
        'local-ipv4',
        'mac',
        'network/',
        'placement/',
        'profile',
        'public-ipv4',
        'public-keys/',
        'reservation-id',
        'security-groups',
        'services/',
        'tags/',
      ].join('\n'),
    );
    // A directory answers its listing with or without the slash, as on EC2.
    expect(body('/latest/meta-data')).toBe(body('/latest/meta-data/'));
    expect(body('/latest/meta-data/placement')).toBe('availability-zone\nregion');
  });

  it('serves the leaves clients read', () => {
    expect(body('/latest/meta-data/local-ipv4')).toBe('10.0.1.5');
    expect(body('/latest/meta-data/public-ipv4')).toBe('100.80.0.3');
    expect(body('/latest/meta-data/hostname')).toBe('ip-10-0-1-5.kumo.internal');
    expect(body('/latest/meta-data/mac')).toBe(MAC);
    expect(body('/latest/meta-data/placement/availability-zone')).toBe('kumo-local-1a');
    expect(body('/latest/meta-data/placement/region')).toBe('kumo-local-1');
    expect(body('/latest/meta-data/security-groups')).toBe('default\nssh');
    // A leaf asked for as a directory does not exist.
    expect(get('/latest/meta-data/instance-id/').status).toBe(404);
  });

  it('lists the public key as "0=name" and its format under 0/', () => {
    expect(body('/latest/meta-data/public-keys/')).toBe('0=me');
    expect(body('/latest/meta-data/public-keys')).toBe('0=me');
    expect(body('/latest/meta-data/public-keys/0/')).toBe('openssh-key');
    expect(body('/latest/meta-data/public-keys/0/openssh-key')).toBe('ssh-ed25519 AAAA me\n');
    expect(get('/latest/meta-data/public-keys/', { ...ctx, publicKey: undefined }).status).toBe(
      404,
    );
    expect(body('/latest/meta-data/', { ...ctx, publicKey: undefined })).not.toContain(
      'public-keys',
    );
  });

  it('maps the block devices: ami and root, then ebsN by short name', () => {
    expect(body('/latest/meta-data/block-device-mapping/')).toBe('ami\nebs1\nebs2\nroot');
    expect(body('/latest/meta-data/block-device-mapping/ami')).toBe('/dev/vda');
    expect(body('/latest/meta-data/block-device-mapping/root')).toBe('/dev/vda');
    expect(body('/latest/meta-data/block-device-mapping/ebs2')).toBe('sdg');
  });

  it('describes the interface under network/interfaces/macs/<mac>/', () => {
    expect(body('/latest/meta-data/network/')).toBe('interfaces/');
    expect(body('/latest/meta-data/network/interfaces/macs/')).toBe(`${MAC}/`);
    const nic = `/latest/meta-data/network/interfaces/macs/${MAC}/`;
    expect(body(nic)).toBe(
      [
        'device-number',
        'interface-id',
        'ipv4-associations/',
        'local-hostname',
        'local-ipv4s',
        'mac',
        'owner-id',
        'public-ipv4s',
        'security-group-ids',
        'security-groups',
        'subnet-id',
        'subnet-ipv4-cidr-block',
        'vpc-id',
        'vpc-ipv4-cidr-block',
        'vpc-ipv4-cidr-blocks',
      ].join('\n'),
    );
    expect(body(nic + 'device-number')).toBe('0');
    expect(body(nic + 'interface-id')).toBe('eni-0123');
    expect(body(nic + 'subnet-id')).toBe('subnet-1');
    expect(body(nic + 'subnet-ipv4-cidr-block')).toBe('10.0.1.0/24');
    expect(body(nic + 'vpc-ipv4-cidr-block')).toBe('10.0.0.0/16');
    expect(body(nic + 'vpc-ipv4-cidr-blocks')).toBe('10.0.0.0/16');
    expect(body(nic + 'local-ipv4s')).toBe('10.0.1.5');
    expect(body(nic + 'public-ipv4s')).toBe('100.80.0.3');
    expect(body(nic + 'security-group-ids')).toBe('sg-1\nsg-2');
    expect(body(nic + 'ipv4-associations/100.80.0.3')).toBe('10.0.1.5');
    // No public address: no public entries at all.
    const priv = { ...ctx, publicIp: undefined };
    expect(body(nic, priv)).not.toContain('public');
    expect(body('/latest/meta-data/', priv)).not.toContain('public-ipv4');
  });

  it('serves tags under tags/instance/ only when the context carries them', () => {
    expect(body('/latest/meta-data/tags/instance')).toBe('Name');
    expect(body('/latest/meta-data/tags/instance/Name')).toBe('web');
    const without = { ...ctx, tags: undefined };
    expect(get('/latest/meta-data/tags/instance', without).status).toBe(404);
    expect(body('/latest/meta-data/', without)).not.toContain('tags/');
  });

  it('serves user-data as bytes, and 404 without any', () => {
    const r = renderMetadata(ctx, '/2009-04-04/user-data');
    expect(r.contentType).toBe('application/octet-stream');
    expect(new TextDecoder().decode(r.body as Uint8Array)).toBe('#cloud-config\n');
    expect(get('/latest/user-data', { ...ctx, userData: undefined }).status).toBe(404);
  });

  it("serves the identity document with EC2's fields, order and layout", () => {
    expect(body('/latest/dynamic/')).toBe('instance-identity/');
    expect(body('/latest/dynamic/instance-identity/')).toBe('document');
    const doc = body('/latest/dynamic/instance-identity/document');
    expect(doc).toBe(
      [
        '{',
        '  "accountId" : "kumo",',
        '  "architecture" : "x86_64",',
        '  "availabilityZone" : "kumo-local-1a",',
        '  "billingProducts" : null,',
        '  "devpayProductCodes" : null,',
        '  "marketplaceProductCodes" : null,',
        '  "imageId" : "ami-0123456789abcdef0",',
        '  "instanceId" : "i-0123456789abcdef0",',
        '  "instanceType" : "t3.micro",',
        '  "kernelId" : null,',
        '  "pendingTime" : "2026-01-01T00:00:00Z",',
        '  "privateIp" : "10.0.1.5",',
        '  "ramdiskId" : null,',
        '  "region" : "kumo-local-1",',
        '  "version" : "2017-09-30"',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(doc)).toMatchObject({ instanceId: ctx.instanceId, region: 'kumo-local-1' });
  });

  it('answers 404 for what is not there, ignoring a query string and doubled slashes', () => {
    expect(get('/latest/meta-data/nope').status).toBe(404);
    expect(get('/latest/nope').status).toBe(404);
    expect(get('/nope').status).toBe(404);
    expect(body('/latest//meta-data/instance-id?x=1')).toBe(ctx.instanceId);
  });
});
