import { readFile } from 'node:fs/promises';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from './deadline.js';

/** mountinfo escapes space, tab, newline and backslash as octal (\040 and friends). */
export const unescapeMountinfo = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** One line of /proc/self/mountinfo, the fields kumo reads. */
export interface MountEntry {
  readonly mountPoint: string;
  readonly fstype: string;
  readonly superOptions: string;
}

/** Parses /proc/self/mountinfo text. Pure. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> [optional...] - <fstype> <source> <super options>"
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountPoint = unescapeMountinfo(line.slice(0, sep).split(' ')[4] ?? '');
    const [fstype = '', , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (mountPoint) entries.push({ mountPoint, fstype, superOptions });
  }
  return entries;
}

/** The mounts kumod's own mount namespace has now. */
export async function readMounts(): Promise<MountEntry[]> {
  const text = await withDeadline(
    readFile('/proc/self/mountinfo', 'utf8'),
    KERNEL_FILE_DEADLINE_MS,
    'reading /proc/self/mountinfo',
  );
  return parseMountinfo(text);
}
