import { describe, expect, it } from 'vitest';
import { renderMetadata, type MetadataContext } from '../../../src/network/metadata.js';

const ctx: MetadataContext = {
  instanceId: 'i-0123456789abcdef0',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.micro',
  reservationId: 'r-0123456789abcdef0',
  launchIndex: 0,
  privateIp: '172.31.0.4',
  publicIp: '100.80.0.3',
  mac: '52:54:00:00:00:01',
  localHostname: 'ip-172-31-0-4.kumo.internal',
  keyName: 'me',
  publicKey: 'ssh-ed25519 AAAA me',
  userData: new TextEncoder().encode('#!/bin/sh\necho hi\n'),
  region: 'kumo-local-1',
  availabilityZone: 'kumo-local-1a',
  launchTime: new Date('2026-01-01T00:00:00Z'),
};
const body = (p: string) => String(renderMetadata(ctx, p).body);

describe('renderMetadata', () => {
  it('serves the leaves the default image reads', () => {
    expect(body('/latest/meta-data/instance-id')).toBe('i-0123456789abcdef0');
    expect(body('/latest/meta-data/local-ipv4')).toBe('172.31.0.4');
    expect(body('/latest/meta-data/public-keys/')).toBe('0=me');
    expect(body('/latest/meta-data/public-keys/0/openssh-key')).toBe('ssh-ed25519 AAAA me\n');
    expect(
      new TextDecoder().decode(renderMetadata(ctx, '/latest/user-data').body as Uint8Array),
    ).toContain('echo hi');
  });
  it('serves the instance its launch index, not always 0', () => {
    expect(body('/latest/meta-data/ami-launch-index')).toBe('0');
    expect(
      String(renderMetadata({ ...ctx, launchIndex: 3 }, '/latest/meta-data/ami-launch-index').body),
    ).toBe('3');
    expect(body('/latest/meta-data/')).toContain('ami-launch-index\n');
  });
  it('lists directories like EC2', () => {
    expect(body('/latest/meta-data/')).toContain('instance-id\n');
    expect(body('/latest/meta-data/')).toContain('placement/');
    expect(body('/latest/meta-data/public-keys/0/')).toBe('openssh-key');
  });
  it('answers 404 for unknown paths and missing user-data or keys', () => {
    expect(renderMetadata(ctx, '/latest/meta-data/nope').status).toBe(404);
    expect(renderMetadata({ ...ctx, userData: undefined }, '/latest/user-data').status).toBe(404);
    expect(
      renderMetadata({ ...ctx, publicKey: undefined }, '/latest/meta-data/public-keys/').status,
    ).toBe(404);
  });
});
