/** Pure readers of qemu-img's answers about an uploaded disk (unit-tested on captured output). */

export interface QemuImgInfo {
  readonly format: 'qcow2' | 'raw';
  readonly virtualSizeBytes: number;
}

/**
 * `qemu-img info --output=json`: only self-contained qcow2 or raw disks are accepted. A backing
 * file or an external data file would make QEMU (running as root while it opens files) read
 * another file of the host's through the image: such images are refused, never followed.
 */
export function parseQemuImgInfo(json: string): QemuImgInfo {
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw refusal('qemu-img info did not describe it');
  }
  const format = info.format;
  if (format !== 'qcow2' && format !== 'raw') {
    throw refusal(`it is in ${String(format)} format; kumo takes qcow2 or raw`);
  }
  if (info['backing-filename'] !== undefined || info['full-backing-filename'] !== undefined) {
    throw refusal('it is a qcow2 overlay with a backing file; flatten it first (qemu-img convert)');
  }
  const specific = (info['format-specific'] as { data?: Record<string, unknown> } | undefined)
    ?.data;
  if (specific?.['data-file'] !== undefined) {
    throw refusal('its data lives in an external data file; convert it to a plain qcow2 first');
  }
  if (info.encrypted === true || specific?.encrypt !== undefined) {
    throw refusal('it is encrypted');
  }
  const size = info['virtual-size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
    throw refusal('it has no virtual size');
  }
  return { format, virtualSizeBytes: size };
}

/** The virtual size from `qemu-img info --output=json` of a file kumod made itself. */
export function virtualSizeOf(json: string): number {
  const size = (JSON.parse(json) as { 'virtual-size'?: unknown })['virtual-size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
    throw new Error(`qemu-img info gave no virtual size: ${json.slice(0, 200)}`);
  }
  return size;
}

/**
 * `qemu-img check` of a qcow2: exit 0 (clean) or 3 (leaked clusters only, harmless) pass; 2
 * (corruption) and 1 (the check could not finish: truncated, unreadable metadata) are refused.
 * Returns why it is refused, or undefined.
 */
export function parseQemuImgCheck(
  exitCode: number,
  stdout: string,
  stderr: string,
): string | undefined {
  if (exitCode === 0 || exitCode === 3) return undefined;
  let detail = '';
  try {
    const r = JSON.parse(stdout) as { corruptions?: number; 'check-errors'?: number };
    detail = [
      r.corruptions ? `${r.corruptions} corruptions` : '',
      r['check-errors'] ? `${r['check-errors']} check errors` : '',
    ]
      .filter(Boolean)
      .join(', ');
  } catch {
    // Not JSON: qemu-img said why on stderr.
  }
  const why = detail || stderr.trim().split('\n').pop()?.slice(0, 200) || `exit ${exitCode}`;
  return exitCode === 2
    ? `qemu-img check found it corrupt (${why})`
    : `qemu-img check could not read it whole; it may be truncated (${why})`;
}

class Refusal extends Error {}
const refusal = (why: string): Error => new Refusal(why);
export const isRefusal = (e: unknown): e is Error => e instanceof Refusal;

/**
 * Whether the start of a file qemu-img calls raw looks like a disk: a whole number of 512-byte
 * sectors holding an MBR or GPT partition table, or a file system (ext2/3/4, XFS, Btrfs) on the
 * whole device. Returns why not, or undefined.
 */
export function diskSignature(head: Buffer, size: number): string | undefined {
  if (size % 512 !== 0) return `its size (${size} bytes) is not a whole number of 512-byte sectors`;
  if (size < 64 * 1024) return `it is only ${size} bytes, too small to be a disk`;
  const at = (offset: number, text: string): boolean =>
    head.subarray(offset, offset + text.length).toString('latin1') === text;
  const mbr = head[510] === 0x55 && head[511] === 0xaa;
  const gpt = at(512, 'EFI PART');
  const ext = head[1080] === 0x53 && head[1081] === 0xef;
  const xfs = at(0, 'XFSB');
  const btrfs = at(0x10040, '_BHRfS_M');
  if (mbr || gpt || ext || xfs || btrfs) return undefined;
  return 'it has no partition table (MBR or GPT) and no file system kumo recognises';
}
