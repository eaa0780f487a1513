import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedKey, SshKeyTool } from '../compute/ports.js';
import type { KeyType } from '../compute/key-pair.js';
import { invalidParameter } from '../core/errors.js';
import type { CommandRunner } from './command-runner.js';

/** Key pairs made and checked by OpenSSH's ssh-keygen; private keys only pass through a 0700 temp dir. */
export class SshKeygen implements SshKeyTool {
  constructor(private readonly runner: CommandRunner) {}

  async generate(type: KeyType, comment: string): Promise<GeneratedKey> {
    const dir = await mkdtemp(join(tmpdir(), 'kumo-key-'));
    try {
      const file = join(dir, 'key');
      // RSA in PEM ("BEGIN RSA PRIVATE KEY") as EC2 returns it; ed25519 in OpenSSH format.
      const typeArgs =
        type === 'rsa' ? ['-t', 'rsa', '-b', '3072', '-m', 'PEM'] : ['-t', 'ed25519'];
      await this.runner.run('ssh-keygen', [...typeArgs, '-N', '', '-q', '-C', comment, '-f', file]);
      const privateKey = await readFile(file, 'utf8');
      const publicKey = (await readFile(`${file}.pub`, 'utf8')).trim();
      return { privateKey, publicKey, fingerprint: await this.fingerprint(`${file}.pub`) };
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
    const dir = await mkdtemp(join(tmpdir(), 'kumo-key-'));
    try {
      await writeFile(join(dir, 'key.pub'), line + '\n');
      const fingerprint = await this.fingerprint(join(dir, 'key.pub')).catch(() => {
        throw invalidParameter(
          'Key is not in valid OpenSSH public key format',
          'InvalidKey.Format',
        );
      });
      return { type, fingerprint, publicKey: line };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async fingerprint(pubFile: string): Promise<string> {
    const { stdout } = await this.runner.run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile]);
    const fp = stdout.split(' ')[1];
    if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen output: ${stdout}`);
    return fp;
  }
}
