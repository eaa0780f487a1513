import type { Tag } from '../core/tags.js';
import type { DataVolumeSpec, RootVolumeSpec } from './block-device-mappings.js';
import type { MetadataOptions } from './metadata-options.js';
import type { NetworkInterface } from '../network/network-interface.js';

/** EC2 instance states and their codes. */
export const INSTANCE_STATE_CODES = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;

export type InstanceStateName = keyof typeof INSTANCE_STATE_CODES;

export const INSTANCE_STATE_NAMES = Object.keys(INSTANCE_STATE_CODES) as InstanceStateName[];

/** Why an instance is in its state (EC2's StateReason). */
export interface StateReason {
  readonly code: string;
  readonly message: string;
}

/**
 * Where one VM's runtime files are (sockets, console log, pid file). The hypervisor adapter names
 * them; the domain only carries them, so nothing parses an id back out of a path.
 */
export interface VmPaths {
  readonly dir: string;
  readonly qmpSocket: string;
  /** A second QMP monitor that kumod keeps open to follow the VM's events. */
  readonly qmpEventSocket: string;
  readonly consoleSocket: string;
  readonly consoleLog: string;
  readonly pidFile: string;
  readonly qemuLog: string;
}

/** The QEMU process backing an instance: enough to find, adopt or kill it again. */
export interface VmRuntime {
  readonly instanceId: string;
  readonly pid: number;
  /** Process start time (clock ticks since boot, /proc/PID/stat field 22): guards against pid reuse. */
  readonly startTime: number;
  readonly paths: VmPaths;
  /**
   * False from the moment QEMU exists (paused, not yet in its cgroup) until it runs guest code
   * inside its limits. A kumod that finds a runtime with `launched: false` was interrupted in the
   * middle of a start, and kills that process before starting the VM again.
   */
  readonly launched: boolean;
  /** When a soft stop began (ISO), so the force-stop timeout survives a daemon restart. */
  readonly powerDownSentAt?: string | undefined;
  /** When a soft reboot was asked for (ISO); cleared when the guest resets. */
  readonly rebootSentAt?: string | undefined;
}

export interface Instance {
  readonly id: string;
  readonly reservationId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly keyName?: string | undefined;
  /** The public key text handed to the guest (captured at launch, as EC2 does). */
  readonly publicKey?: string | undefined;
  readonly userData?: Uint8Array | undefined;
  readonly state: InstanceStateName;
  readonly stateReason?: StateReason | undefined;
  readonly stateTransitionReason: string;
  readonly launchTime: Date;
  /** When the instance reached terminated; the row is purged an hour later. */
  readonly terminatedAt?: Date | undefined;
  readonly tags: readonly Tag[];
  readonly clientToken?: string | undefined;
  /** Hash of the launch parameters, so a reused client token with other parameters is refused. */
  readonly launchFingerprint?: string | undefined;
  readonly launchIndex: number;
  /** The network's interface for this instance, as allocated at launch (network owns it). */
  readonly network?: NetworkInterface | undefined;
  readonly rootDisk?: string | undefined;
  /** What the launch asked of the root volume (BlockDeviceMappings), used when it is made. */
  readonly rootVolume?: RootVolumeSpec | undefined;
  /** Data volumes the launch's BlockDeviceMappings asked for, made with the root volume. */
  readonly launchVolumes?: readonly DataVolumeSpec[] | undefined;
  readonly runtime?: VmRuntime | undefined;
  /** How the metadata service answers it; unset: EC2's defaults (see metadata-options.ts). */
  readonly metadataOptions?: MetadataOptions | undefined;
  /** run-instances --cloud-init-seed (kumo extension): a NoCloud seed at every start; unset: none. */
  readonly cloudInitSeed?: 'nocloud' | undefined;
}

/** The addresses EC2 shows: none once terminated, and no public address while stopped. */
export const shownPrivateIp = (i: Instance): string | undefined =>
  i.state === 'terminated' ? undefined : i.network?.privateIp;
export const shownPublicIp = (i: Instance): string | undefined =>
  i.state === 'terminated' || i.state === 'stopped' ? undefined : i.network?.publicIp;

/** True while the instance holds host capacity (vCPUs and memory). */
export const holdsCapacity = (s: InstanceStateName): boolean =>
  s === 'pending' || s === 'running' || s === 'stopping' || s === 'shutting-down';

/** Reasons, worded as EC2 words them where EC2 has one. */
export const REASONS = {
  pending: { code: 'pending', message: 'pending' },
  userStop: {
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown',
  },
  guestStop: {
    code: 'Client.InstanceInitiatedShutdown',
    message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown',
  },
  userTerminate: {
    code: 'Client.UserInitiatedShutdown',
    message: 'Client.UserInitiatedShutdown: User initiated shutdown',
  },
  crashed: {
    code: 'Server.InternalError',
    message: 'Server.InternalError: The QEMU process exited unexpectedly',
  },
  launchFailed: {
    code: 'Server.InternalError',
    message: 'Server.InternalError: The instance failed to start',
  },
  portLost: {
    code: 'Server.InternalError',
    message: 'Server.InternalError: The instance lost its network port and was restarted',
  },
  hostRebooted: {
    code: 'Server.HostRestart',
    message: 'Server.HostRestart: The host restarted; starting the instance again',
  },
} as const satisfies Record<string, StateReason>;
