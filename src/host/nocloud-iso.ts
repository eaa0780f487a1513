import { constants } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CloudInitSeeds, NoCloudFiles } from '../compute/nocloud-seed.js';
import { internal } from '../core/errors.js';
import type { CommandRunner } from './command-runner.js';

/** The seed image's name in the instance's directory, beside its console log and UEFI variables. */
export const SEED_FILE = 'cidata.iso';
/** The volume label cloud-init's NoCloud datasource looks for. */
export const SEED_LABEL = 'cidata';
/** How long xorriso may take for a few KiB (it takes milliseconds). */
const MKISOFS_DEADLINE_MS = 20_000;

export interface NoCloudIsoOptions {
  /** Parent of the per-instance directories (the hypervisor's: the seed lives with its VM). */
  readonly instancesDir: string;
  /** The ISO 9660 maker (Debian package xorriso); a path or a name on PATH. */
  readonly xorriso?: string | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * The xorriso arguments that make a NoCloud seed from a staging directory: ISO 9660 with Rock
 * Ridge (the files keep their 0600 mode: user data can hold secrets) and Joliet, labelled cidata,
 * as cloud-localds makes it. Pure, for tests.
 */
export function mkisofsArgs(stagingDir: string, output: string): string[] {
  return [
    '-as',
    'mkisofs',
    '-quiet',
    '-output',
    output,
    '-volid',
    SEED_LABEL,
    '-joliet',
    '-rock',
    stagingDir,
  ];
}

/**
 * NoCloud seeds as ISO 9660 images made by xorriso, one per instance in its directory. The image
 * is built under a temporary name and renamed into place, so a QEMU never opens half an image,
 * and a failure leaves no file of this write behind.
 */
export class NoCloudIsoSeeds implements CloudInitSeeds {
  constructor(
    private readonly runner: CommandRunner,
    private readonly o: NoCloudIsoOptions,
  ) {}

  private paths(instanceId: string) {
    const dir = join(this.o.instancesDir, instanceId);
    const iso = join(dir, SEED_FILE);
    return { dir, iso, tmp: `${iso}.tmp`, staging: join(dir, 'cidata.d') };
  }

  async write(instanceId: string, files: NoCloudFiles): Promise<string> {
    const p = this.paths(instanceId);
    const binary = this.o.xorriso ?? 'xorriso';
    await mkdir(p.dir, { recursive: true, mode: 0o750 });
    // Leftovers of a write that kumod did not finish (killed mid-way) are overwritten.
    await rm(p.staging, { recursive: true, force: true });
    await mkdir(p.staging, { mode: 0o700 });
    try {
      await Promise.all([
        writeFile(join(p.staging, 'meta-data'), files.metaData, { mode: 0o600 }),
        writeFile(join(p.staging, 'user-data'), files.userData, { mode: 0o600 }),
        writeFile(join(p.staging, 'network-config'), files.networkConfig, { mode: 0o600 }),
      ]);
      await rm(p.tmp, { force: true });
      await this.runner
        .run(binary, mkisofsArgs(p.staging, p.tmp), {
          timeoutMs: this.o.timeoutMs ?? MKISOFS_DEADLINE_MS,
        })
        .catch(async (e: unknown) => {
          throw await explain(binary, e);
        });
      await rename(p.tmp, p.iso);
      return p.iso;
    } catch (e) {
      // The old image goes too: an instance never boots with a seed that is not its current one.
      await Promise.all([rm(p.tmp, { force: true }), rm(p.iso, { force: true })]);
      throw e;
    } finally {
      await rm(p.staging, { recursive: true, force: true });
    }
  }

  async remove(instanceId: string): Promise<void> {
    const p = this.paths(instanceId);
    await Promise.all([
      rm(p.iso, { force: true }),
      rm(p.tmp, { force: true }),
      rm(p.staging, { recursive: true, force: true }),
    ]);
  }
}

/** Whether `command` (a path, or a name looked up on PATH) is an executable file. */
async function installed(command: string): Promise<boolean> {
  const dirs = command.includes('/') ? [''] : (process.env.PATH ?? '/usr/bin:/bin').split(':');
  for (const d of dirs) {
    const ok = await access(d ? join(d, command) : command, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return true;
  }
  return false;
}

/**
 * A missing xorriso says which package brings it (runners word a missing program differently, so
 * the file system is asked). The command line and stderr name host paths: they go to the log (as
 * the cause), not to the client.
 */
async function explain(command: string, e: unknown): Promise<Error> {
  if (!(await installed(command))) {
    return internal(
      `Could not make the instance's NoCloud seed: ${command} is not installed on the kumo host ` +
        '(Debian package xorriso; scripts/setup installs it). Launch without --cloud-init-seed, ' +
        'or ask the operator to install it.',
      e,
    );
  }
  return internal("Could not make the instance's NoCloud seed image", e);
}
