import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ec2SmbiosArgs, ec2SystemUuid } from '../../../src/host/qemu/smbios.js';
import { qemuArgs } from '../../../src/host/qemu/qemu-args.js';
import type { VmSpec } from '../../../src/compute/ports.js';

const spec: VmSpec = {
  instanceId: 'i-0123456789abcdef0',
  instanceType: 't3.micro',
  vcpus: 2,
  memoryMib: 1024,
  accel: 'tcg',
  kernel: '/var/lib/kumo/images/ami-1/vmlinuz',
  initrd: '/var/lib/kumo/images/ami-1/initrd.img',
  kernelCmdline: 'console=ttyS0 quiet',
  rootDisk: '/var/lib/kumo/volumes/i-0123456789abcdef0-root.qcow2',
  instanceStoreMib: 0,
  port: { tap: 'tap0123456789ab', mac: '52:54:00:ab:cd:ef', netns: 'kumo-vpc-1', created: true },
};
const dir = '/var/lib/kumo/instances/i-0123456789abcdef0';
const paths = {
  dir,
  qemuLog: `${dir}/qemu.log`,
  qmpSocket: `${dir}/qmp.sock`,
  qmpEventSocket: `${dir}/qmp-events.sock`,
  consoleSocket: `${dir}/console.sock`,
  consoleLog: `${dir}/console.log`,
  pidFile: `${dir}/qemu.pid`,
};

/** Compares with a golden file; UPDATE_GOLDEN=1 rewrites it (review the diff!). */
function golden(name: string, actual: string): void {
  const file = join(import.meta.dirname, 'golden', name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

describe('qemuArgs', () => {
  it('builds the TCG command line (golden)', () => {
    golden(
      'qemu-tcg.args',
      qemuArgs(spec, paths, { runAs: 'kumo-qemu', tcgCacheMib: 128 }).join('\n') + '\n',
    );
  });

  it('builds the KVM command line (golden)', () => {
    golden(
      'qemu-kvm.args',
      qemuArgs({ ...spec, accel: 'kvm', vcpus: 4, memoryMib: 8192 }, paths, {
        tcgCacheMib: 128,
      }).join('\n') + '\n',
    );
  });

  it('adds the instance store as a second virtio disk named ephemeral0 (golden)', () => {
    golden(
      'qemu-instance-store.args',
      qemuArgs({ ...spec, instanceStoreMib: 1430 }, paths, {
        runAs: 'kumo-qemu',
        tcgCacheMib: 128,
        instanceStoreFile: `${dir}/instance-store/ephemeral0.raw`,
      }).join('\n') + '\n',
    );
  });

  it('attaches a NoCloud seed as a read-only virtio disk after every other disk (golden)', () => {
    const args = qemuArgs(
      {
        ...spec,
        kernel: undefined,
        initrd: undefined,
        kernelCmdline: undefined,
        firmware: 'legacy-bios',
        cloudInitSeed: `${dir}/cidata.iso`,
        dataDisks: [
          {
            volumeId: 'vol-0123456789abcdef0',
            serial: 'vol0123456789abcdef0',
            path: '/var/lib/kumo/volumes/vol-0123456789abcdef0.qcow2',
          },
        ],
      },
      paths,
      { runAs: 'kumo-qemu', tcgCacheMib: 128 },
    );
    golden('qemu-nocloud-seed.args', args.join('\n') + '\n');
    // Never a boot device: the root disk stays the only one with a bootindex.
    expect(args.filter((a) => a.includes('bootindex'))).toEqual([
      'virtio-blk-pci,drive=root,bootindex=0',
    ]);
  });

  const firmware: VmSpec = {
    ...spec,
    kernel: undefined,
    initrd: undefined,
    kernelCmdline: undefined,
    firmware: 'uefi',
  };

  it('boots UEFI images with OVMF: shared code read-only, the instance own variables (golden)', () => {
    golden(
      'qemu-uefi.args',
      qemuArgs(firmware, paths, {
        runAs: 'kumo-qemu',
        tcgCacheMib: 128,
        uefi: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: `${dir}/uefi-vars.fd` },
      }).join('\n') + '\n',
    );
  });

  it('boots legacy-bios images with SeaBIOS: no kernel, no flash, the root disk first', () => {
    const args = qemuArgs({ ...firmware, firmware: 'legacy-bios' }, paths, {
      tcgCacheMib: 128,
    });
    expect(args).not.toContain('-kernel');
    expect(args.join(' ')).not.toContain('pflash');
    expect(args).toContain('virtio-blk-pci,drive=root,bootindex=0');
  });

  it('refuses UEFI boot without OVMF files rather than booting SeaBIOS silently', () => {
    expect(() => qemuArgs(firmware, paths, { tcgCacheMib: 128 })).toThrow(/OVMF/);
  });

  it('never combines -runas with elevateprivileges=deny (QEMU exits silently)', () => {
    const args = qemuArgs(spec, paths, { runAs: 'kumo-qemu', tcgCacheMib: 128 }).join(' ');
    expect(args).toContain('-runas kumo-qemu');
    expect(args).not.toContain('elevateprivileges');
  });
});

describe('EC2 SMBIOS identity', () => {
  it('gives a stable UUID that starts with ec2, equal to the serial (what cloud-init checks)', () => {
    const uuid = ec2SystemUuid('i-0123456789abcdef0');
    expect(uuid).toMatch(/^ec2[0-9a-f]{5}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(ec2SystemUuid('i-0123456789abcdef0')).toBe(uuid);
    expect(ec2SystemUuid('i-0123456789abcdef1')).not.toBe(uuid);
    expect(ec2SmbiosArgs('i-0123456789abcdef0', 't3.micro')).toEqual([
      '-smbios',
      `type=1,manufacturer=Amazon EC2,product=t3.micro,serial=${uuid},uuid=${uuid}`,
    ]);
  });
  it('refuses a product name that would smuggle in more SMBIOS fields', () => {
    expect(() => ec2SmbiosArgs('i-0123456789abcdef0', 't3.micro,serial=x')).toThrow(/SMBIOS/);
  });
});
