import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSmallFile } from '../../../src/host/files.js';

describe('readSmallFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads small, empty and multi-byte files whole', async () => {
    expect(await readSmallFile(file('pid', '4242\n'))).toBe('4242\n');
    expect(await readSmallFile(file('empty', ''))).toBe('');
    expect(await readSmallFile(file('utf8', 'é'.repeat(5000)))).toBe('é'.repeat(5000));
  });

  it('reads on past its buffer: files of 8 KiB to 16 KiB and beyond, cut anywhere', async () => {
    for (const size of [8 * 1024, 12_345, 16 * 1024, 16 * 1024 + 1, 100_000]) {
      const text = 'abcdefghij'.repeat(Math.ceil(size / 10)).slice(0, size);
      expect(await readSmallFile(file(`f${size}`, text))).toBe(text);
    }
  });

  it('reads /proc files, whose size reads as 0', async () => {
    const stat = await readSmallFile(`/proc/${process.pid}/stat`);
    expect(stat.startsWith(`${process.pid} (`)).toBe(true);
  });

  it('rejects for a missing file', async () => {
    await expect(readSmallFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
