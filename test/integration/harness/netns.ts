import { execa } from 'execa';
import { randomBytes } from 'node:crypto';

/** Runs argv inside a named network namespace the test created (never the machine's own). */
export function inNs(
  ns: string,
  cmd: string,
  args: readonly string[],
  opts: { timeout?: number; input?: string } = {},
) {
  return execa('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args], {
    reject: false,
    timeout: opts.timeout ?? 60_000,
    input: opts.input,
    env: { LC_ALL: 'C' },
  });
}

export const randomTag = (): string => randomBytes(3).toString('hex');

export async function createNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'add', name]);
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Deletes every namespace whose name starts with `prefix` (the test's own, by construction). */
export async function deleteNetnsWithPrefix(prefix: string): Promise<void> {
  const { stdout } = await execa('ip', ['netns', 'list'], { reject: false });
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0];
    if (name?.startsWith(prefix)) await execa('ip', ['netns', 'del', name], { reject: false });
  }
}

export const isRoot = (): boolean => process.getuid?.() === 0;
