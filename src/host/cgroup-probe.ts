import { readFile } from 'node:fs/promises';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from './deadline.js';
import { parseMountinfo } from './mountinfo.js';

/**
 * Where the cgroup controllers kumo needs (cpu, memory) are mounted, read from
 * /proc/self/mountinfo instead of guessed: hosts differ (v2 at /sys/fs/cgroup; v1 with `cpu` or
 * `cpu,cpuacct` hierarchies; hybrid v1 + an empty v2 at /sys/fs/cgroup/unified), and inside a
 * mount namespace that remounted /sys (`ip netns exec`, many containers) there is none at all.
 */
export type CgroupLayout =
  | { readonly version: 'v1'; readonly cpu: string; readonly memory: string }
  | { readonly version: 'v2'; readonly root: string };

export interface CgroupMounts {
  /** v1 hierarchies by controller name (a hierarchy may carry several, e.g. cpu,cpuacct). */
  readonly v1: ReadonlyMap<string, string>;
  /** Mount points of cgroup2 file systems. */
  readonly v2: readonly string[];
}

/** Controllers a VM's limits need. */
export const NEEDED_CONTROLLERS = ['cpu', 'memory'] as const;

/** Parses /proc/self/mountinfo text into the cgroup mounts it lists. Pure. */
export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const v1 = new Map<string, string>();
  const v2: string[] = [];
  for (const { mountPoint, fstype, superOptions } of parseMountinfo(mountinfo)) {
    if (fstype === 'cgroup2') v2.push(mountPoint);
    if (fstype === 'cgroup') {
      for (const option of superOptions.split(',')) {
        if (!v1.has(option)) v1.set(option, mountPoint);
      }
    }
  }
  return { v1, v2 };
}

/**
 * The layout to use, or why there is none. v2 wins where one of its mounts offers both
 * controllers (`controllersOf` reads its cgroup.controllers); otherwise v1 where both are mounted.
 */
export function chooseCgroupLayout(
  mounts: CgroupMounts,
  controllersOf: (mountPoint: string) => readonly string[],
): CgroupLayout | { readonly missing: string } {
  for (const root of mounts.v2) {
    const available = controllersOf(root);
    if (NEEDED_CONTROLLERS.every((c) => available.includes(c))) return { version: 'v2', root };
  }
  const cpu = mounts.v1.get('cpu');
  const memory = mounts.v1.get('memory');
  if (cpu && memory) return { version: 'v1', cpu, memory };
  const seen = [
    ...[...mounts.v1.keys()]
      .filter((c) => !c.startsWith('rw') && !c.startsWith('name='))
      .map((c) => `v1 ${c}`),
    ...mounts.v2.map((m) => `v2 at ${m} (${controllersOf(m).join(' ') || 'no controllers'})`),
  ];
  return {
    missing:
      `no cgroup hierarchy with the cpu and memory controllers is mounted in kumod's mount ` +
      `namespace (found: ${seen.length ? seen.join(', ') : 'no cgroup mounts at all'})`,
  };
}

/** Reads this process' mounts and picks the layout (see chooseCgroupLayout). */
export async function detectCgroupLayout(): Promise<CgroupLayout | { readonly missing: string }> {
  const read = (path: string) =>
    withDeadline(readFile(path, 'utf8'), KERNEL_FILE_DEADLINE_MS, `reading ${path}`);
  const mounts = parseCgroupMounts(await read('/proc/self/mountinfo'));
  const controllers = new Map<string, string[]>();
  for (const root of mounts.v2) {
    const text = await read(`${root}/cgroup.controllers`).catch(() => '');
    controllers.set(root, text.trim().split(/\s+/).filter(Boolean));
  }
  return chooseCgroupLayout(mounts, (root) => controllers.get(root) ?? []);
}
