import type { VmPaths } from '../../compute/instance.js';
import type { VmDisk, VmSpec } from '../../compute/ports.js';
import { blockDeviceId, blockNodeName } from './block-names.js';
import { ec2SmbiosArgs } from './smbios.js';

export interface QemuOptions {
  /** Drop privileges to this user after QEMU has opened its files (-runas). */
  readonly runAs?: string | undefined;
  /** TCG translation cache in MiB: QEMU's default (1 GiB) would blow the memory cgroup. */
  readonly tcgCacheMib: number;
  /** The instance store's disk file (raw, on its own tmpfs), when the type has one. */
  readonly instanceStoreFile?: string | undefined;
  /** UEFI boot: OVMF's code (shared, read-only) and this instance's own variable store. */
  readonly uefi?: { readonly code: string; readonly vars: string } | undefined;
}

/** How the guest starts: its kernel directly, or firmware reading the root disk. */
function bootArgs(spec: VmSpec, opts: QemuOptions): string[] {
  if (spec.kernel) {
    return [
      '-kernel',
      spec.kernel,
      '-initrd',
      spec.initrd ?? '',
      '-append',
      spec.kernelCmdline ?? '',
    ];
  }
  if (spec.firmware === 'uefi') {
    if (!opts.uefi) throw new Error(`UEFI boot of ${spec.instanceId} needs OVMF's files`);
    // Two flash chips, as OVMF expects: code read-only, variables writable and per instance
    // (boot entries the guest writes survive stop/start, and never leak into another guest).
    return [
      '-drive',
      `if=pflash,format=raw,unit=0,readonly=on,file=${opts.uefi.code}`,
      '-drive',
      `if=pflash,format=raw,unit=1,file=${opts.uefi.vars}`,
    ];
  }
  // legacy-bios: QEMU's default firmware is SeaBIOS.
  return [];
}

/** The serial the guest reads for its instance store (/dev/disk/by-id/virtio-ephemeral0). */
export const INSTANCE_STORE_SERIAL = 'ephemeral0';

/**
 * The QEMU command line for one instance. Pure, so it is golden-tested: every flag here is a
 * decision (why is in the comments), and a change shows up as a reviewed diff of the golden file.
 */
export function qemuArgs(spec: VmSpec, paths: VmPaths, opts: QemuOptions): string[] {
  const accel =
    spec.accel === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : ['-accel', `tcg,thread=multi,tb-size=${opts.tcgCacheMib}`, '-cpu', 'max'];
  const args = [
    '-name',
    `guest=${spec.instanceId},debug-threads=on`,
    // i440fx boots the cloud kernel ~1 s faster than q35 under TCG (docs/host-facts.md).
    '-machine',
    'pc',
    ...accel,
    // EC2's system identity, so stock cloud-init picks its EC2 datasource (smbios.ts).
    ...ec2SmbiosArgs(spec.instanceId, spec.instanceType),
    '-smp',
    String(spec.vcpus),
    '-m',
    `${spec.memoryMib}M`,
    '-nodefaults',
    '-no-user-config',
    '-nographic',
    ...bootArgs(spec, opts),
    '-drive',
    `file=${spec.rootDisk},if=none,id=root,format=qcow2,cache=writeback,discard=unmap`,
    '-device',
    // Firmware boots the root disk first, without trying the NIC's network boot.
    spec.kernel ? 'virtio-blk-pci,drive=root' : 'virtio-blk-pci,drive=root,bootindex=0',
    ...instanceStoreArgs(opts.instanceStoreFile),
    ...(spec.dataDisks ?? []).flatMap(dataDiskArgs),
    '-netdev',
    `tap,id=net0,ifname=${spec.port.tap},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${spec.port.mac}`,
    // Entropy for the guest: without it, SSH host-key generation can stall the first boot.
    '-device',
    'virtio-rng-pci',
    // Last of the PCI devices: with or without it, every other device keeps its slot (and the
    // guest its disk and NIC names).
    ...seedArgs(spec.cloudInitSeed),
    // The serial console goes to a log file whether or not anyone is attached (get-console-output).
    '-chardev',
    `socket,id=console,path=${paths.consoleSocket},server=on,wait=off,logfile=${paths.consoleLog},logappend=on`,
    '-serial',
    'chardev:console',
    '-chardev',
    `socket,id=qmp,path=${paths.qmpSocket},server=on,wait=off`,
    '-mon',
    'chardev=qmp,mode=control',
    '-chardev',
    `socket,id=qmpev,path=${paths.qmpEventSocket},server=on,wait=off`,
    '-mon',
    'chardev=qmpev,mode=control',
    // A guest power-off leaves QEMU waiting in "shutdown", so kumod can tell it from a crash.
    '-no-shutdown',
    // Start with the vCPUs stopped: kumod moves the process into its cgroup first, then sends
    // "cont", so no guest code ever runs outside the instance type's limits.
    '-S',
    '-pidfile',
    paths.pidFile,
    '-msg',
    'timestamp=on',
    // seccomp: no obsolete syscalls, no resource control, no spawning. (elevateprivileges=deny
    // cannot be combined with -runas: QEMU exits silently, see docs/host-facts.md.)
    '-sandbox',
    'on,obsolete=deny,resourcecontrol=deny,spawn=deny',
  ];
  if (opts.runAs) args.push('-runas', opts.runAs);
  return args;
}

/**
 * The instance store as a second virtio disk. Raw on tmpfs: no format layer between the guest and
 * memory; discards punch holes, so what the guest frees goes back to the host.
 */
function instanceStoreArgs(file: string | undefined): string[] {
  if (file === undefined) return [];
  return [
    '-drive',
    `file=${file},if=none,id=ephemeral0,format=raw,cache=writeback,discard=unmap`,
    '-device',
    `virtio-blk-pci,drive=ephemeral0,serial=${INSTANCE_STORE_SERIAL}`,
  ];
}

/** The serial the guest sees on the NoCloud seed disk (/dev/disk/by-id/virtio-cidata). */
export const SEED_SERIAL = 'cidata';

/**
 * A NoCloud seed as a read-only virtio disk, after every other device so that the disks keep their
 * names (/dev/vda root, the instance store, data volumes) and the NIC its slot. Not a CD-ROM: cloud-init's ds-identify runs
 * as a systemd generator, before udev loads modules, and Debian's cloud kernel has its IDE/SATA
 * and CD-ROM drivers as modules, so a CD-ROM does not exist yet when it looks for the cidata
 * label; virtio_blk is in every cloud image's initramfs (it holds the root disk). No bootindex:
 * firmware never boots from it.
 */
function seedArgs(file: string | undefined): string[] {
  if (file === undefined) return [];
  return [
    '-drive',
    `file=${file},if=none,id=cidata,format=raw,readonly=on`,
    '-device',
    `virtio-blk-pci,drive=cidata,serial=${SEED_SERIAL}`,
  ];
}

/**
 * An attached data volume: the same node name and device id as a hot-plug uses (block-names.ts),
 * so kumod can unplug it later; the serial names it in the guest.
 */
function dataDiskArgs(d: VmDisk): string[] {
  const node = blockNodeName(d.volumeId);
  return [
    '-blockdev',
    `driver=qcow2,node-name=${node},discard=unmap,file.driver=file,file.filename=${d.path}`,
    '-device',
    `virtio-blk-pci,drive=${node},id=${blockDeviceId(d.volumeId)},serial=${d.serial}`,
  ];
}
