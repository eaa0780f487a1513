import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CreateKeyPairRequest,
  ImportKeyPairRequest,
} from '../../../src/gen/kumo/v1/key_pairs.js';
import { kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/**
 * create-key-pair and import-key-pair: key type and format, tag specifications sent and the
 * returned tags printed, through main() against a fake kumod that echoes the tags it was given.
 * The key order of the output is compared with aws-cli's in commands-aws.test.ts.
 */
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';
const TAGS = ['--tag-specifications', 'ResourceType=key-pair,Tags=[{Key=team,Value=ops}]'];

let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const lastCreate = () => fake.seen.createKeyPair?.at(-1) as CreateKeyPairRequest;
const calls = (rpc: string) => fake.seen[rpc]?.length ?? 0;

/** kumod's answer: the key pair, tagged with what the request's specifications said. */
const keyPair = (request: unknown) => {
  const { keyName, tagSpecifications } = request as CreateKeyPairRequest;
  return {
    keyPairId: 'key-0123456789abcdef0',
    keyName,
    keyFingerprint: 'aa:bb',
    keyMaterial: 'PRIVATE',
    tags: tagSpecifications.flatMap((s) => s.tags),
  };
};

beforeAll(async () => {
  fake = await startFakeKumod({ createKeyPair: keyPair, importKeyPair: keyPair });
});
afterAll(() => fake.close());

describe('create-key-pair', () => {
  it('sends the tag specifications and prints the returned tags, KeyPairId first as EC2 does', async () => {
    const r = await kumo('create-key-pair', '--key-name', 'me', ...TAGS);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(lastCreate().tagSpecifications).toEqual([
      { resourceType: 'key-pair', tags: [{ key: 'team', value: 'ops' }] },
    ]);
    const printed = JSON.parse(r.stdout);
    expect(Object.keys(printed)).toEqual([
      'KeyPairId',
      'Tags',
      'KeyName',
      'KeyFingerprint',
      'KeyMaterial',
    ]);
    expect(printed.Tags).toEqual([{ Key: 'team', Value: 'ops' }]);
  });

  it('prints no Tags for a key pair without tags', async () => {
    const r = await kumo('create-key-pair', '--key-name', 'me', '--query', 'keys(@)');
    expect(JSON.parse(r.stdout)).toEqual(['KeyPairId', 'KeyName', 'KeyFingerprint', 'KeyMaterial']);
  });

  it("leaves the key type to kumod (rsa, as EC2's default) unless --key-type says", async () => {
    await kumo('create-key-pair', '--key-name', 'me');
    expect(lastCreate().keyType).toBe('');
    await kumo('create-key-pair', '--key-name', 'me', '--key-type', 'ed25519');
    expect(lastCreate().keyType).toBe('ed25519');
    const help = (await kumo('create-key-pair', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('key type (default rsa, as in EC2) (choices: "ed25519", "rsa")');
  });

  it('accepts --key-format pem, the format kumod makes, and refuses ppk before calling', async () => {
    expect((await kumo('create-key-pair', '--key-name', 'me', '--key-format', 'pem')).code).toBe(0);
    const before = calls('createKeyPair');
    for (const args of [
      ['--key-format', 'ppk'],
      ['--cli-input-json', '{"KeyFormat":"ppk"}'],
    ]) {
      const r = await kumo('create-key-pair', '--key-name', 'me', ...args);
      expect(r).toEqual({
        code: 252,
        stdout: '',
        stderr:
          "kumo returns private keys in pem format only (OpenSSH's format for ed25519), not 'ppk'\n",
      });
    }
    expect(calls('createKeyPair')).toBe(before);
  });
});

describe('import-key-pair', () => {
  it('sends the tag specifications and prints the returned tags in EC2 order', async () => {
    const r = await kumo(
      'import-key-pair',
      '--key-name',
      'me',
      '--public-key-material',
      KEY,
      ...TAGS,
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const request = fake.seen.importKeyPair?.at(-1) as ImportKeyPairRequest;
    expect(request.tagSpecifications).toEqual([
      { resourceType: 'key-pair', tags: [{ key: 'team', value: 'ops' }] },
    ]);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual([
      'KeyFingerprint',
      'KeyName',
      'KeyPairId',
      'Tags',
    ]);
  });
});
