import { chmod, open, rename, stat, writeFile } from 'node:fs/promises';

/**
 * Small file operations the host adapters share: atomic writes of files that other processes read
 * (dnsmasq configs), and reading or keeping the tail of logs that other processes append to.
 */

/**
 * Writes `content` atomically (temp file + rename), with exactly `mode`: the process umask must not
 * decide who can read it (dnsmasq rereads its files as an unprivileged user).
 */
export async function writeAtomic(
  path: string,
  content: string | Uint8Array,
  mode: number,
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** What readSmallFile reads at once: a /proc stat line, a pid file, a hosts list. */
const SMALL_FILE_BYTES = 16 * 1024;

/**
 * A small file as text, in three thread-pool trips (open, one read, close) where readFile takes
 * five (it also stats the file and reads again to find its end). kumod reads a few of these on
 * every launch. A read that leaves more than half the buffer empty ends the file: a regular file
 * returns less than asked only at its end, and a /proc or /sys file (a seq_file) stops short only
 * when its next record does not fit, and their records (lines) are far shorter than 8 KiB. Any
 * other read is followed by another, to the end.
 */
export async function readSmallFile(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(SMALL_FILE_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      chunks.push(buf.subarray(0, bytesRead));
      if (bytesRead < buf.length / 2) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Writes `content` atomically unless the file already holds it; true when it wrote. */
export async function writeIfChanged(
  path: string,
  content: string,
  mode: number,
): Promise<boolean> {
  const current = await readSmallFile(path).catch(() => undefined);
  if (current === content) return false;
  await writeAtomic(path, content, mode);
  return true;
}

/** The last `maxBytes` of a file as bytes (empty if it is missing). */
async function tailBytes(path: string, maxBytes: number): Promise<Buffer> {
  try {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const start = Math.max(0, size - maxBytes);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return buf;
    } finally {
      await fh.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}

/** The last `maxBytes` of a text file ('' if it is missing). */
export async function tailFile(path: string, maxBytes = 2_000): Promise<string> {
  return (await tailBytes(path, maxBytes)).toString('utf8');
}

/** Cuts a file down to its last `maxBytes`, atomically; a missing or small file is left alone. */
export async function keepTail(path: string, maxBytes: number, mode = 0o640): Promise<void> {
  const size = await stat(path).then(
    (st) => st.size,
    () => 0,
  );
  if (size > maxBytes) await writeAtomic(path, await tailBytes(path, maxBytes), mode);
}
