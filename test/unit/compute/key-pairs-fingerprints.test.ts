import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createdKeyFingerprint, importedKeyFingerprint } from '../../../src/compute/key-pair.js';
import { ExecaCommandRunner } from '../../../src/host/command-runner.js';
import { SshKeygen } from '../../../src/host/ssh-keygen.js';

/**
 * kumo's fingerprints against the commands AWS documents for checking EC2's ("Verify the
 * fingerprint of your key pair"), run with the real openssl and ssh-keygen as the oracle.
 */
const missing = ['openssl', 'ssh-keygen'].filter((t) => spawnSync('which', [t]).status !== 0);
if (missing.length > 0 && process.env.CI === 'true') {
  throw new Error(`CI=true but ${missing.join(' and ')} missing`);
}
const suite = missing.length === 0 ? describe : describe.skip;

/** `openssl ... | openssl <digest> -c`, as the AWS guide writes it, without the "(stdin)= ". */
function openssl(first: string[], digest: 'sha1' | 'md5'): string {
  const der = execFileSync('openssl', first);
  const out = execFileSync('openssl', [digest, '-c'], { input: der }).toString();
  return out.trim().replace(/^.*= /, '');
}

suite('EC2 key fingerprints', () => {
  let dir: string;
  const key = (name: string, type: string[]) => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', [...type, '-N', '', '-q', '-C', name, '-f', file]);
    return {
      file,
      privateKey: readFileSync(file, 'utf8'),
      publicKey: readFileSync(`${file}.pub`, 'utf8').trim(),
    };
  };
  let rsa: ReturnType<typeof key>;
  let ed: ReturnType<typeof key>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kumo-fp-'));
    rsa = key('rsa', ['-t', 'rsa', '-b', '2048', '-m', 'PEM']);
    ed = key('ed', ['-t', 'ed25519']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('created RSA: SHA-1 of the PKCS#8 DER private key, colon-hex', () => {
    const expected = openssl(
      ['pkcs8', '-in', rsa.file, '-inform', 'PEM', '-outform', 'DER', '-topk8', '-nocrypt'],
      'sha1',
    );
    expect(expected).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    expect(createdKeyFingerprint('rsa', rsa.privateKey, rsa.publicKey)).toBe(expected);
  });

  it('imported RSA: MD5 of the DER public key, colon-hex', () => {
    const expected = openssl(['rsa', '-in', rsa.file, '-pubout', '-outform', 'DER'], 'md5');
    expect(expected).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(importedKeyFingerprint('rsa', rsa.publicKey)).toBe(expected);
  });

  it('ED25519, created or imported: the SHA-256 ssh-keygen prints, base64 with padding', () => {
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${ed.file}.pub`])
      .toString()
      .split(' ')[1]!;
    const expected = `${printed.replace(/^SHA256:/, '')}=`;
    expect(createdKeyFingerprint('ed25519', ed.privateKey, ed.publicKey)).toBe(expected);
    expect(importedKeyFingerprint('ed25519', ed.publicKey)).toBe(expected);
  });

  it('the ssh-keygen adapter reports these fingerprints for the keys it makes and checks', async () => {
    const tool = new SshKeygen(new ExecaCommandRunner());
    const made = await tool.generate('rsa', 'made');
    expect(made.privateKey).toContain('BEGIN RSA PRIVATE KEY');
    expect(made.fingerprint).toBe(createdKeyFingerprint('rsa', made.privateKey, made.publicKey));
    expect(made.fingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    const inspected = await tool.inspect(`${rsa.publicKey}\n`);
    expect(inspected).toEqual({
      type: 'rsa',
      fingerprint: importedKeyFingerprint('rsa', rsa.publicKey),
      publicKey: rsa.publicKey,
    });
    await expect(tool.inspect('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ== x')).rejects.toMatchObject({
      code: 'InvalidKey.Format',
    });
  }, 30_000);
});
