import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/compute/instance.js';
import { ImdsTokens } from '../../../src/network/imds-tokens.js';
import { MetadataService, type MetadataRequest } from '../../../src/network/metadata-service.js';
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

function service() {
  const clock = new ManualClock();
  const byIp = new Map([A, B].map((i) => [i.network!.privateIp, i]));
  const svc = new MetadataService(
    { byPrivateIp: (vpc, ip) => (vpc === 'vpc-1' ? byIp.get(ip) : undefined) },
    { domain: 'kumo.internal', region: 'kumo-local-1' },
    clock,
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
