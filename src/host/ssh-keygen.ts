import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedKey, SshKeyTool } from '../compute/ports.js';
import {
  createdKeyFingerprint,
  importedKeyFingerprint,
  type KeyType,
} from '../compute/key-pair.js';
import { invalidParameter } from '../core/errors.js';
import type { CommandRunner } from './command-runner.js';

/**
 * Key pairs made and checked by OpenSSH's ssh-keygen; private keys only pass through a 0700 temp
 * dir. Fingerprints are EC2's (compute/key-pair.ts), not ssh-keygen's.
 */
export class SshKeygen implements SshKeyTool {
  constructor(private readonly runner: CommandRunner) {}

  async generate(type: KeyType, comment: string): Promise<GeneratedKey> {
    const dir = await mkdtemp(join(tmpdir(), 'kumo-key-'));
    try {
      const file = join(dir, 'key');
      // RSA: 2048 bits in PEM ("BEGIN RSA PRIVATE KEY"), as EC2 makes and returns it; ed25519 in
      // OpenSSH format.
      const typeArgs =
        type === 'rsa' ? ['-t', 'rsa', '-b', '2048', '-m', 'PEM'] : ['-t', 'ed25519'];
      await this.runner.run('ssh-keygen', [...typeArgs, '-N', '', '-q', '-C', comment, '-f', file]);
      const privateKey = await readFile(file, 'utf8');
      const publicKey = (await readFile(`${file}.pub`, 'utf8')).trim();
      return {
        privateKey,
        publicKey,
        fingerprint: createdKeyFingerprint(type, privateKey, publicKey),
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async inspect(
    publicKey: string,
  ): Promise<{ type: KeyType; fingerprint: string; publicKey: string }> {
    const line = publicKey.split('\n')[0]?.trim() ?? '';
    const type = line.startsWith('ssh-ed25519 ')
      ? 'ed25519'
      : line.startsWith('ssh-rsa ')
        ? 'rsa'
        : undefined;
    if (!type || publicKey.trim().includes('\n')) {
      throw invalidParameter(
        'Key is not in valid OpenSSH public key format: pass one line starting with ssh-ed25519 or ssh-rsa',
        'InvalidKey.Format',
      );
    }
    const invalid = () =>
      invalidParameter('Key is not in valid OpenSSH public key format', 'InvalidKey.Format');
    const dir = await mkdtemp(join(tmpdir(), 'kumo-key-'));
    try {
      // ssh-keygen is the judge of a well-formed key; the fingerprint is then EC2's.
      await writeFile(join(dir, 'key.pub'), line + '\n');
      await this.runner.run('ssh-keygen', ['-l', '-f', join(dir, 'key.pub')]).catch(() => {
        throw invalid();
      });
      let fingerprint: string;
      try {
        fingerprint = importedKeyFingerprint(type, line);
      } catch {
        throw invalid();
      }
      return { type, fingerprint, publicKey: line };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
