import { describe, expect, it } from 'vitest';
import {
  diskSignature,
  parseQemuImgCheck,
  parseQemuImgInfo,
} from '../../../src/host/qemu-img-inspect.js';

/** Shapes of `qemu-img info --output=json` (QEMU 7.2), cut to the fields read. */
const info = (extra: Record<string, unknown>): string =>
  JSON.stringify({ 'virtual-size': 1610612736, filename: 'x', format: 'qcow2', ...extra });

describe('parseQemuImgInfo', () => {
  it('takes self-contained qcow2 and raw disks with their virtual size', () => {
    expect(parseQemuImgInfo(info({}))).toEqual({ format: 'qcow2', virtualSizeBytes: 1610612736 });
    expect(parseQemuImgInfo(info({ format: 'raw', 'virtual-size': 1048576 }))).toEqual({
      format: 'raw',
      virtualSizeBytes: 1048576,
    });
  });

  it('refuses overlays (a backing file would be read by QEMU as root), data files, encryption', () => {
    expect(() =>
      parseQemuImgInfo(
        info({ 'backing-filename': '/etc/shadow', 'full-backing-filename': '/etc/shadow' }),
      ),
    ).toThrow(/backing file/);
    expect(() =>
      parseQemuImgInfo(
        info({ 'format-specific': { type: 'qcow2', data: { 'data-file': '/dev/sda' } } }),
      ),
    ).toThrow(/external data file/);
    expect(() => parseQemuImgInfo(info({ encrypted: true }))).toThrow(/encrypted/);
  });

  it('refuses other formats and answers that are not JSON', () => {
    expect(() => parseQemuImgInfo(info({ format: 'vmdk' }))).toThrow(
      /vmdk format; kumo takes qcow2 or raw/,
    );
    expect(() => parseQemuImgInfo('qemu-img: oops')).toThrow(/did not describe/);
    expect(() => parseQemuImgInfo(info({ 'virtual-size': 0 }))).toThrow(/no virtual size/);
  });
});

describe('parseQemuImgCheck', () => {
  it('passes a clean image and one with leaked clusters only (exit 3)', () => {
    expect(parseQemuImgCheck(0, '{}', '')).toBeUndefined();
    expect(parseQemuImgCheck(3, '{"leaks": 4}', '')).toBeUndefined();
  });

  it('refuses corruption (exit 2) and an image the check cannot finish (exit 1), saying why', () => {
    // What qemu-img check printed for a kumo-debian disk cut to 100 MB.
    const truncated = JSON.stringify({
      'image-end-offset': 100007936,
      corruptions: 5427,
      'check-errors': 0,
    });
    expect(parseQemuImgCheck(2, truncated, 'ERROR: counting reference...')).toBe(
      'qemu-img check found it corrupt (5427 corruptions)',
    );
    expect(
      parseQemuImgCheck(1, '', 'qemu-img: Could not open: Image is not in qcow2 format'),
    ).toMatch(/could not read it whole; it may be truncated \(qemu-img: Could not open/);
  });
});

describe('diskSignature (files qemu-img calls raw)', () => {
  const sector = (fill: (b: Buffer) => void, size = 128 * 1024): Buffer => {
    const b = Buffer.alloc(size);
    fill(b);
    return b;
  };

  it('accepts an MBR or GPT partition table, or ext4/XFS on the whole device', () => {
    expect(
      diskSignature(
        sector((b) => b.writeUInt16LE(0xaa55, 510)),
        1 << 20,
      ),
    ).toBeUndefined();
    expect(
      diskSignature(
        sector((b) => b.write('EFI PART', 512, 'latin1')),
        1 << 20,
      ),
    ).toBeUndefined();
    expect(
      diskSignature(
        sector((b) => b.writeUInt16LE(0xef53, 1080)),
        1 << 20,
      ),
    ).toBeUndefined();
    expect(
      diskSignature(
        sector((b) => b.write('XFSB', 0, 'latin1')),
        1 << 20,
      ),
    ).toBeUndefined();
  });

  it('refuses text, odd sizes and tiny files, saying which', () => {
    const text = Buffer.from('this is not a disk image\n'.repeat(5120));
    expect(diskSignature(text, text.length)).toMatch(/no partition table/);
    expect(diskSignature(text, 1000)).toMatch(/not a whole number of 512-byte sectors/);
    expect(diskSignature(text, 512)).toMatch(/too small/);
  });
});
