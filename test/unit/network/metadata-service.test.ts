import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/compute/instance.js';
import { ImdsTokens, imdsSigningKey, SIGNING_KEY_FACT } from '../../../src/network/imds-tokens.js';
import {
  MetadataService,
  type MetadataLookups,
  type MetadataRequest,
} from '../../../src/network/metadata-service.js';
import { DEFAULT_METADATA_OPTIONS } from '../../../src/compute/metadata-options.js';
import { ManualClock, TINY_IMAGE } from '../../fakes/compute-deps.js';

const instance = (id: string, privateIp: string, launchIndex = 0): Instance => ({
  id,
  reservationId: 'r-0123456789abcdef0',
  imageId: TINY_IMAGE.id,
  instanceType: 't3.micro',
  state: 'running',
  stateTransitionReason: '',
  launchTime: new Date('2026-01-01T00:00:00Z'),
  tags: [],
  launchIndex,
  network: {
    id: `eni-${id.slice(2)}`,
    instanceId: id,
    vpcId: 'vpc-1',
    subnetId: 'subnet-1',
    privateIp,
    mac: 'm',
  },
});
const A = instance('i-0000000000000000a', '172.31.0.4');
// The second instance of the same `--count 2` launch.
const B = instance('i-0000000000000000b', '172.31.0.5', 1);

function service(extra: Instance[] = [], lookups: MetadataLookups = {}) {
  const clock = new ManualClock();
  const byIp = new Map([A, B, ...extra].map((i) => [i.network!.privateIp, i]));
  const svc = new MetadataService(
    { byPrivateIp: (vpc, ip) => (vpc === 'vpc-1' ? byIp.get(ip) : undefined) },
    { domain: 'kumo.internal', region: 'kumo-local-1' },
    clock,
    undefined,
    lookups,
  );
  const req = (
    from: string,
    method: string,
    path: string,
    headers: MetadataRequest['headers'] = {},
  ) => svc.handle('vpc-1', from, { method, path, headers });
  const token = (from: string, ttl = '60') =>
    String(
      req(from, 'PUT', '/latest/api/token', { 'x-aws-ec2-metadata-token-ttl-seconds': ttl }).body,
    );
  return { clock, req, token };
}

describe('MetadataService (IMDSv1 and IMDSv2)', () => {
  it('answers a GET without a token (IMDSv1) with the asking instance own data', () => {
    const { req } = service();
    const r = req('172.31.0.5', 'GET', '/latest/meta-data/instance-id');
    expect(r.status).toBe(200);
    expect(r.body).toBe(B.id);
  });

  it('serves each instance its own ami-launch-index (its place in its launch)', () => {
    const { req } = service();
    expect(req('172.31.0.4', 'GET', '/latest/meta-data/ami-launch-index').body).toBe('0');
    expect(req('172.31.0.5', 'GET', '/latest/meta-data/ami-launch-index').body).toBe('1');
  });

  it('issues a session token on PUT and accepts it until it expires', () => {
    const { req, token, clock } = service();
    const put = req('172.31.0.4', 'PUT', '/latest/api/token', {
      'x-aws-ec2-metadata-token-ttl-seconds': '30',
    });
    expect(put.status).toBe(200);
    expect(put.headers?.['x-aws-ec2-metadata-token-ttl-seconds']).toBe('30');
    const t = token('172.31.0.4', '30');
    const get = () =>
      req('172.31.0.4', 'GET', '/latest/meta-data/instance-id', { 'x-aws-ec2-metadata-token': t });
    expect(get().status).toBe(200);
    expect(get().body).toBe(A.id);
    clock.advance(29_000);
    expect(get().status).toBe(200);
    clock.advance(1_000);
    expect(get().status).toBe(401);
  });

  it('refuses a token minted for another instance, or a forged one', () => {
    const { req, token } = service();
    const theirs = token('172.31.0.5');
    const path = '/latest/meta-data/instance-id';
    expect(req('172.31.0.4', 'GET', path, { 'x-aws-ec2-metadata-token': theirs }).status).toBe(401);
    const [exp] = theirs.split('.');
    const forged = `${Number(exp) + 9999}.${theirs.split('.')[1]}`;
    expect(req('172.31.0.5', 'GET', path, { 'x-aws-ec2-metadata-token': forged }).status).toBe(401);
    expect(req('172.31.0.5', 'GET', path, { 'x-aws-ec2-metadata-token': 'junk' }).status).toBe(401);
    // A different kumod (another key) does not accept it either.
    expect(new ImdsTokens().isValid(theirs, B.id, new Date('2026-01-01T00:00:00Z'))).toBe(false);
  });

  it('wants a TTL of 1-21600 s, refuses forwarded PUTs, strangers and other methods', () => {
    const { req } = service();
    const put = (headers: MetadataRequest['headers'], from = '172.31.0.4') =>
      req(from, 'PUT', '/latest/api/token', headers).status;
    const ttl = 'x-aws-ec2-metadata-token-ttl-seconds';
    expect(put({})).toBe(400);
    expect(put({ [ttl]: '0' })).toBe(400);
    expect(put({ [ttl]: '21601' })).toBe(400);
    expect(put({ [ttl]: '1e3' })).toBe(400);
    expect(put({ [ttl]: '21600' })).toBe(200);
    expect(put({ [ttl]: '60', 'x-forwarded-for': '10.0.0.1' })).toBe(403);
    expect(put({ [ttl]: '60' }, '172.31.9.9')).toBe(403);
    expect(req('172.31.9.9', 'GET', '/latest/meta-data/instance-id').status).toBe(403);
    expect(req('172.31.0.4', 'POST', '/latest/meta-data/instance-id').status).toBe(405);
    expect(req('172.31.0.4', 'PUT', '/latest/meta-data/instance-id').status).toBe(405);
  });
});

const TTL = 'x-aws-ec2-metadata-token-ttl-seconds';
const withOptions = (id: string, ip: string, o: Partial<typeof DEFAULT_METADATA_OPTIONS>) => ({
  ...instance(id, ip),
  tags: [{ key: 'Name', value: 'web' }],
  metadataOptions: { ...DEFAULT_METADATA_OPTIONS, ...o },
});

describe('MetadataService with the instance metadata options', () => {
  it('HttpTokens=required: a GET without a token gets 401, with a valid token 200', () => {
    const C = withOptions('i-0000000000000000c', '172.31.0.6', { httpTokens: 'required' });
    const { req, token } = service([C]);
    const path = '/latest/meta-data/instance-id';
    expect(req('172.31.0.6', 'GET', path).status).toBe(401);
    const t = token('172.31.0.6');
    expect(req('172.31.0.6', 'GET', path, { 'x-aws-ec2-metadata-token': t }).body).toBe(C.id);
    // Other instances keep IMDSv1.
    expect(req('172.31.0.4', 'GET', path).status).toBe(200);
  });

  it('HttpEndpoint=disabled: no answer at all, not even to a token PUT', () => {
    const D = withOptions('i-0000000000000000d', '172.31.0.7', { httpEndpoint: 'disabled' });
    const { req } = service([D]);
    expect(req('172.31.0.7', 'GET', '/latest/meta-data/instance-id').drop).toBe(true);
    expect(req('172.31.0.7', 'PUT', '/latest/api/token', { [TTL]: '60' }).drop).toBe(true);
  });

  it('serves tags/instance/ only with InstanceMetadataTags=enabled', () => {
    const E = withOptions('i-0000000000000000e', '172.31.0.8', { instanceMetadataTags: 'enabled' });
    const F = withOptions('i-0000000000000000f', '172.31.0.9', {});
    const { req } = service([E, F]);
    expect(req('172.31.0.8', 'GET', '/latest/meta-data/tags/instance/Name').body).toBe('web');
    expect(req('172.31.0.9', 'GET', '/latest/meta-data/tags/instance/Name').status).toBe(404);
  });

  it('reads a change of options at the next request (it takes effect at once)', () => {
    const G = withOptions('i-00000000000000001', '172.31.0.10', {});
    let current: Instance = G;
    const svc = new MetadataService(
      { byPrivateIp: () => current },
      { domain: 'kumo.internal', region: 'kumo-local-1' },
      new ManualClock(),
    );
    const get = () =>
      svc.handle('vpc-1', '172.31.0.10', {
        method: 'GET',
        path: '/latest/meta-data/',
        headers: {},
      });
    expect(get().status).toBe(200);
    current = { ...G, metadataOptions: { ...DEFAULT_METADATA_OPTIONS, httpTokens: 'required' } };
    expect(get().status).toBe(401);
  });

  it('fills the interface, groups and devices from the lookups', () => {
    const { req } = service([], {
      groups: () => [{ name: 'default', id: 'sg-1' }],
      vpcCidrs: () => ['172.31.0.0/16'],
      subnetCidr: () => '172.31.0.0/20',
      devices: () => ['/dev/vda', '/dev/sdf'],
    });
    const nic = '/latest/meta-data/network/interfaces/macs/m/';
    expect(req('172.31.0.4', 'GET', nic + 'subnet-ipv4-cidr-block').body).toBe('172.31.0.0/20');
    expect(req('172.31.0.4', 'GET', nic + 'vpc-id').body).toBe('vpc-1');
    expect(req('172.31.0.4', 'GET', nic + 'security-group-ids').body).toBe('sg-1');
    expect(req('172.31.0.4', 'GET', '/latest/meta-data/security-groups').body).toBe('default');
    expect(req('172.31.0.4', 'GET', '/latest/meta-data/block-device-mapping/ebs1').body).toBe(
      'sdf',
    );
  });
});

describe('the token signing key', () => {
  it('is made once and read back, so tokens outlive a kumod restart', () => {
    const facts = new Map<string, string>();
    const store = {
      get: (k: string) => facts.get(k),
      set: (k: string, v: string) => void facts.set(k, v),
    };
    const first = imdsSigningKey(store);
    expect(first).toHaveLength(32);
    const now = new Date('2026-01-01T00:00:00Z');
    const token = new ImdsTokens(first).issue(A.id, 60, now);
    // "Restart": a new ImdsTokens over the key read back from state.
    expect(new ImdsTokens(imdsSigningKey(store)).isValid(token, A.id, now)).toBe(true);
    expect(facts.get(SIGNING_KEY_FACT)).toBe(first.toString('base64'));
  });

  it('replaces a damaged key rather than signing with it', () => {
    const facts = new Map([[SIGNING_KEY_FACT, 'c2hvcnQ=']]);
    const store = {
      get: (k: string) => facts.get(k),
      set: (k: string, v: string) => void facts.set(k, v),
    };
    expect(imdsSigningKey(store)).toHaveLength(32);
    expect(facts.get(SIGNING_KEY_FACT)).not.toBe('c2hvcnQ=');
  });
});
