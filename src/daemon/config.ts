import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_INSTANCE_STORE_POLICY } from '../compute/instance-store.js';
import type { AccelRequest } from '../host/accel-probe.js';
import type { LanMode } from '../host/network/lan-access.js';
import type { LogLevel } from './logger.js';

/** kumod's settings: flags, with KUMO_* environment variables as defaults. */
export interface DaemonConfig {
  readonly socket: string;
  readonly socketGroup: string;
  readonly stateDir: string;
  readonly runDir: string;
  readonly accel: AccelRequest;
  readonly publicCidr: string;
  readonly publicBridge: string;
  readonly namePrefix: string;
  readonly imageDir: string;
  readonly qemuBinary: string;
  /** OVMF firmware (UEFI images): its code, and the variable store each instance gets a copy of. */
  readonly ovmfCode: string;
  readonly ovmfVars: string;
  readonly qemuUser: string;
  readonly cpuOvercommit: number;
  readonly memoryReserveMib: number;
  readonly stopTimeoutS: number;
  readonly rebootTimeoutS: number;
  readonly terminatedRetentionS: number;
  readonly sweepIntervalS: number;
  readonly launchTimeoutS: number;
  /** Instance store: fraction of EC2's size given as tmpfs, and the cap per instance (MiB). */
  readonly instanceStoreScale: number;
  readonly instanceStoreMaxMib: number;
  /** Run guests without CPU and memory limits (hosts that give kumod no cgroup hierarchy). */
  readonly noCgroups: boolean;
  /** Guests may reach the host's own addresses (not only DHCP and metadata). */
  readonly allowGuestHostAccess: boolean;
  /** How LAN machines reach the public pool (docs/operator-guide.md). */
  readonly lanMode: LanMode;
  readonly uplinkInterface: string | undefined;
  readonly outboundNat: boolean;
  readonly logLevel: LogLevel;
}

const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative number');
  return n;
};

const fraction = (v: string): number => {
  const n = num(v);
  if (n > 1) throw new InvalidArgumentError('expected a fraction between 0 and 1');
  return n;
};

export function parseConfig(argv: readonly string[], env = process.env): DaemonConfig {
  const p = new Command('kumod')
    .description('kumo daemon: runs EC2-style instances as QEMU VMs on this host')
    .option(
      '--socket <path>',
      'unix socket of the gRPC API',
      env.KUMO_SOCKET ?? '/run/kumo/kumo.sock',
    )
    .option('--socket-group <group>', 'group that may use the socket (mode 0660)', 'kumo')
    .option(
      '--state-dir <dir>',
      'state: database, images, disks',
      env.KUMO_STATE_DIR ?? '/var/lib/kumo',
    )
    .option(
      '--run-dir <dir>',
      'runtime files: dnsmasq, metadata sockets',
      env.KUMO_RUN_DIR ?? '/run/kumo',
    )
    .addOption(
      new Option('--accel <mode>', 'acceleration')
        .choices(['auto', 'kvm', 'tcg'])
        .default(env.KUMO_ACCEL ?? 'auto'),
    )
    .option(
      '--public-cidr <cidr>',
      "pool of instances' public addresses (.1 is the host)",
      env.KUMO_PUBLIC_CIDR ?? '100.80.0.0/24',
    )
    .option('--public-bridge <name>', 'bridge that holds the public pool', 'kumo-pub')
    .option(
      '--name-prefix <prefix>',
      "prefix of kumod's host objects (netns, cgroups)",
      env.KUMO_NAME_PREFIX ?? 'kumo',
    )
    .option(
      '--image-dir <dir>',
      'built default image to register',
      env.KUMO_IMAGE_DIR ?? '/var/cache/kumo/images/kumo-tiny',
    )
    .option('--qemu-binary <path>', 'QEMU system emulator', 'qemu-system-x86_64')
    .option(
      '--ovmf-code <path>',
      'OVMF code for UEFI images (Debian package ovmf)',
      env.KUMO_OVMF_CODE ?? '/usr/share/OVMF/OVMF_CODE_4M.fd',
    )
    .option(
      '--ovmf-vars <path>',
      'OVMF variable store template, copied per UEFI instance',
      env.KUMO_OVMF_VARS ?? '/usr/share/OVMF/OVMF_VARS_4M.fd',
    )
    .option(
      '--qemu-user <user>',
      'unprivileged user QEMU runs as ("" to keep root)',
      env.KUMO_QEMU_USER ?? 'kumo-qemu',
    )
    .option('--cpu-overcommit <ratio>', 'vCPUs per host CPU', num, 4)
    .option('--memory-reserve-mib <mib>', 'memory kept for the host', num, 1024)
    .option('--stop-timeout <s>', 'ACPI power-down grace before a forced stop', num, 60)
    .option('--reboot-timeout <s>', 'soft reboot grace before a hard reset', num, 60)
    .option('--terminated-retention <s>', 'how long terminated instances stay visible', num, 3600)
    .option(
      '--sweep-interval <s>',
      "safety sweep of every instance (guests' events drive the rest)",
      num,
      30,
    )
    .option('--launch-timeout <s>', 'how long a launch may take before it is undone', num, 60)
    .option(
      '--instance-store-scale <fraction>',
      "instance store as tmpfs: this fraction of EC2's size (0.02: 75 GB becomes 1430 MiB)",
      fraction,
      DEFAULT_INSTANCE_STORE_POLICY.scale,
    )
    .option(
      '--instance-store-max-mib <mib>',
      "largest instance store of one instance (tmpfs, counted in the host's memory)",
      num,
      DEFAULT_INSTANCE_STORE_POLICY.maxMib,
    )
    .addOption(
      new Option(
        '--lan-mode <mode>',
        'how LAN machines reach public and elastic IPs: none, routed (the LAN router sends the pool to this host) or proxy-arp (this host answers ARP for the pool on --uplink-interface)',
      )
        .choices(['none', 'routed', 'proxy-arp'])
        .default('none'),
    )
    .option(
      '--uplink-interface <name>',
      'the interface that faces the LAN (for --lan-mode and --outbound-nat)',
    )
    .option(
      '--outbound-nat',
      'let instances open connections out of --uplink-interface (masqueraded); off by default',
    )
    .option(
      '--allow-guest-host-access',
      "let guests reach the host's and VPC routers' own addresses (by default only DHCP and the metadata service)",
    )
    .option(
      '--no-cgroups',
      'run guests without CPU and memory limits, where the host gives kumod no cgroup hierarchy',
    )
    .addOption(
      new Option('--log-level <level>')
        .choices(['debug', 'info', 'warn', 'error'])
        .default(env.KUMO_LOG_LEVEL ?? 'info'),
    )
    .exitOverride();
  p.parse(argv, { from: 'user' });
  const o = p.opts<Record<string, unknown>>();
  if ((o.lanMode !== 'none' || o.outboundNat === true) && typeof o.uplinkInterface !== 'string') {
    throw new InvalidArgumentError(
      '--lan-mode routed|proxy-arp and --outbound-nat need --uplink-interface (the interface that faces the LAN)',
    );
  }
  return {
    socket: o.socket as string,
    socketGroup: o.socketGroup as string,
    stateDir: o.stateDir as string,
    runDir: o.runDir as string,
    accel: o.accel as AccelRequest,
    publicCidr: o.publicCidr as string,
    publicBridge: o.publicBridge as string,
    namePrefix: o.namePrefix as string,
    imageDir: o.imageDir as string,
    qemuBinary: o.qemuBinary as string,
    ovmfCode: o.ovmfCode as string,
    ovmfVars: o.ovmfVars as string,
    qemuUser: o.qemuUser as string,
    cpuOvercommit: o.cpuOvercommit as number,
    memoryReserveMib: o.memoryReserveMib as number,
    stopTimeoutS: o.stopTimeout as number,
    rebootTimeoutS: o.rebootTimeout as number,
    terminatedRetentionS: o.terminatedRetention as number,
    sweepIntervalS: o.sweepInterval as number,
    launchTimeoutS: o.launchTimeout as number,
    instanceStoreScale: o.instanceStoreScale as number,
    instanceStoreMaxMib: o.instanceStoreMaxMib as number,
    noCgroups: o.cgroups === false,
    allowGuestHostAccess: o.allowGuestHostAccess === true,
    lanMode: o.lanMode as LanMode,
    uplinkInterface: typeof o.uplinkInterface === 'string' ? o.uplinkInterface : undefined,
    outboundNat: o.outboundNat === true,
    logLevel: o.logLevel as LogLevel,
  };
}
