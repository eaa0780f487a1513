import { describe, expect, it } from 'vitest';
import {
  createKeyPair,
  deleteKeyPair,
  describeKeyPairs,
  importKeyPair,
} from '../../../src/compute/key-pairs.js';
import { fakeComputeDeps } from '../../fakes/compute-deps.js';
import { FakeSshKeys } from '../../fakes/fake-host.js';

const deps = () => ({ ...fakeComputeDeps(), sshKeys: new FakeSshKeys() });
const codeOf = async (p: Promise<unknown> | (() => unknown)): Promise<string> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};
const tagSpec = [{ resourceType: 'key-pair', tags: [{ key: 'team', value: 'a' }] }];
const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3M1hYEKCwAatm3HAQ0ytlPdIwaP2Kbo7xHl1YWnC1d me';

describe('key pairs', () => {
  it('creates rsa keys unless ed25519 is asked for, as EC2 does', async () => {
    const d = deps();
    expect((await createKeyPair(d, 'a', '', [])).key.type).toBe('rsa');
    expect((await createKeyPair(d, 'b', 'ed25519', [])).key.type).toBe('ed25519');
    expect(await codeOf(createKeyPair(d, 'c', 'dsa', []))).toBe('InvalidParameterValue');
  });

  it('stores the tags of create and import, and filters on them', async () => {
    const d = deps();
    expect((await createKeyPair(d, 'a', '', tagSpec)).key.tags).toEqual(tagSpec[0]!.tags);
    expect((await importKeyPair(d, 'b', ED25519, tagSpec)).tags).toEqual(tagSpec[0]!.tags);
    expect(
      describeKeyPairs(d.keyPairs, [], [], [{ name: 'tag:team', values: ['a'] }]).map(
        (k) => k.name,
      ),
    ).toEqual(['a', 'b']);
    expect(await codeOf(createKeyPair(d, 'c', '', [{ resourceType: 'instance', tags: [] }]))).toBe(
      'InvalidParameterValue',
    );
  });

  it('answers a dry run with DryRunOperation after every check, and changes nothing', async () => {
    const d = deps();
    await createKeyPair(d, 'taken', '', []);
    expect(await codeOf(createKeyPair(d, 'new', '', tagSpec, { dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(await codeOf(importKeyPair(d, 'new', ED25519, [], { dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(await codeOf(() => deleteKeyPair(d.keyPairs, 'taken', '', { dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(d.keyPairs.list().map((k) => k.name)).toEqual(['taken']);
    // The checks of the real call still apply.
    expect(await codeOf(createKeyPair(d, 'taken', '', [], { dryRun: true }))).toBe(
      'InvalidKeyPair.Duplicate',
    );
    expect(await codeOf(createKeyPair(d, 'x', 'dsa', [], { dryRun: true }))).toBe(
      'InvalidParameterValue',
    );
    expect(await codeOf(importKeyPair(d, 'y', 'ssh-dss AAAA', [], { dryRun: true }))).toBe(
      'InvalidKey.Format',
    );
    expect(await codeOf(() => deleteKeyPair(d.keyPairs, '', 'key-1', { dryRun: true }))).toBe(
      'InvalidKeyPair.Malformed',
    );
    expect(await codeOf(() => deleteKeyPair(d.keyPairs, '', '', { dryRun: true }))).toBe(
      'MissingParameter',
    );
  });

  it('names at most three missing keys', () => {
    const d = deps();
    const names = Array.from({ length: 10 }, (_, i) => `k${i}`);
    expect(() => describeKeyPairs(d.keyPairs, names, [], [])).toThrow(
      "The key pairs 'k0, k1, k2 and 7 more' do not exist",
    );
  });
});
