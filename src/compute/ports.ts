/**
 * What the compute domain needs from the outside world. Adapters: src/state (repositories),
 * src/host (QEMU, qemu-img, ssh-keygen); the network domain provides InstanceNetwork.
 */
import type { DataVolumeSpec, RootVolumeSpec } from './block-device-mappings.js';
import type { BootMode, Image } from './image.js';
import type { NetworkInterface } from '../network/network-interface.js';
import type { Instance, VmRuntime } from './instance.js';
import type { KeyPair, KeyType } from './key-pair.js';

/** Repositories are synchronous: the embedded store answers in microseconds. */
export interface InstanceRepository {
  get(id: string): Instance | undefined;
  list(): Instance[];
  put(instance: Instance): void;
  delete(id: string): void;
  findByClientToken(token: string): Instance[];
}

export interface ImageRepository {
  get(id: string): Image | undefined;
  list(): Image[];
  findByName(name: string): Image | undefined;
  put(image: Image): void;
  delete(id: string): void;
}

export interface KeyPairRepository {
  get(id: string): KeyPair | undefined;
  findByName(name: string): KeyPair | undefined;
  list(): KeyPair[];
  put(key: KeyPair): void;
  delete(id: string): void;
}

/** Small named facts about the host that outlive kumod (e.g. the boot id it last saw). */
export interface HostFacts {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export type Accelerator = 'kvm' | 'tcg';

/** Everything needed to start one VM. */
export interface VmSpec {
  readonly instanceId: string;
  /** The guest sees it as its SMBIOS product name, as on EC2. */
  readonly instanceType?: string | undefined;
  readonly vcpus: number;
  readonly memoryMib: number;
  readonly accel: Accelerator;
  /** Direct kernel boot; absent for firmware boot. */
  readonly kernel?: string | undefined;
  readonly initrd?: string | undefined;
  readonly kernelCmdline?: string | undefined;
  /** Firmware boot from the root disk (no kernel): SeaBIOS or OVMF with the instance's own variable store. */
  readonly firmware?: BootMode | undefined;
  readonly rootDisk: string;
  /** The root volume's I/O limits (its volume type's performance); absent: unthrottled. */
  readonly rootThrottle?: DiskThrottle | undefined;
  /** Size of the instance store (a scratch disk that lives as long as the VM); 0: none. */
  readonly instanceStoreMib: number;
  /** Data volumes attached to the instance, in attach order (the guest sees them after root). */
  readonly dataDisks?: readonly VmDisk[] | undefined;
  /** A NoCloud seed image (ISO 9660, label cidata), attached read-only as the last virtio disk. */
  readonly cloudInitSeed?: string | undefined;
  readonly port: NetworkPort;
}

/** A data volume as QEMU attaches it: the guest sees `serial` as the disk's serial. */
export interface VmDisk {
  readonly volumeId: string;
  readonly serial: string;
  readonly path: string;
  readonly throttle?: DiskThrottle | undefined;
}

/**
 * I/O limits on one guest disk, as QEMU's leaky-bucket throttling takes them: a sustained rate,
 * optionally a burst rate for a number of seconds, and the request size counted as one operation.
 */
export interface DiskThrottle {
  /** Operations per second, reads and writes together. */
  readonly iops: number;
  /** Bytes per second, reads and writes together. */
  readonly bps: number;
  readonly iopsMax?: number | undefined;
  /** Seconds a burst at iopsMax may last. */
  readonly iopsMaxLength?: number | undefined;
  readonly bpsMax?: number | undefined;
  readonly bpsMaxLength?: number | undefined;
  /** A request larger than this counts as several operations (EBS: 256 KiB SSD, 1 MiB HDD). */
  readonly iopsSize: number;
}

/** Where a VM's NIC plugs in on the host (made by InstanceNetwork.plug). */
export interface NetworkPort {
  /** Network namespace QEMU runs in (its tap lives there). */
  readonly netns: string;
  readonly tap: string;
  readonly mac: string;
  /**
   * The port did not exist and was made by this call. A QEMU that was already running is not
   * connected to a port made after it started (it held the old one's file descriptor).
   */
  readonly created: boolean;
}

/**
 * What the hypervisor sees: running (vCPUs executing), guest-shutdown (the guest powered itself
 * off; QEMU waits, so the reason is not lost), paused, or gone (no such process: it exited or crashed).
 */
export type VmStatus = 'running' | 'guest-shutdown' | 'paused' | 'gone';

export interface StartOptions {
  /** Cancels the start (the launch's deadline, its caller gone): it is undone. */
  readonly signal?: AbortSignal | undefined;
  /** Awaited once the VM is confined and before its vCPUs run; a failure undoes the start. */
  readonly beforeResume?: (() => Promise<void>) | undefined;
}

export interface Hypervisor {
  /**
   * Starts a VM that outlives kumod. QEMU starts paused; `record` gets its runtime (launched:
   * false) as soon as the process exists, so a kumod killed at any later moment can find it; the
   * process joins its cgroup, then resumes (launched: true). Any QEMU still alive for this
   * instance from an interrupted start is killed first: never two for one instance. On failure,
   * abort or deadline nothing is left behind (no process, no cgroup).
   */
  start(
    spec: VmSpec,
    record: (runtime: VmRuntime) => void,
    options?: StartOptions,
  ): Promise<VmRuntime>;
  inspect(runtime: VmRuntime): Promise<VmStatus>;
  /**
   * Follows the VM's events (power-off, reset, exit) from now on, reporting changes to the
   * listener the daemon wired; idempotent and cheap when already following.
   */
  watch(runtime: VmRuntime): Promise<void>;
  /** ACPI power button. */
  powerDown(runtime: VmRuntime): Promise<void>;
  /** Soft reboot (Ctrl-Alt-Del), then a hard reset if the guest has not reset within the timeout. */
  reboot(runtime: VmRuntime, softTimeoutMs: number): Promise<void>;
  /**
   * Ends the VM now (QMP quit, then SIGKILL), waits until the process is gone and releases what it
   * held (cgroup). Safe to call when the process has already exited.
   */
  kill(runtime: VmRuntime): Promise<void>;
  /** The tail of the serial console (kept across stop/start). */
  consoleOutput(instanceId: string, maxBytes: number): Promise<string>;
  /** Forgets everything about a terminated instance (sockets, console log). */
  removeArtifacts(instanceId: string): Promise<void>;
  /**
   * Copies a running VM's root disk, as it is at the moment of the call (crash-consistent), into
   * `target`: an existing empty qcow2 of the disk's virtual size.
   */
  copyRootDisk?(runtime: VmRuntime, target: string, signal: AbortSignal): Promise<void>;
  /**
   * ACPI power button, then waits up to `timeoutMs` for the guest to power off. QEMU stays (with
   * its disks, devices and addresses) so that `bootAgain` can start the same VM; resolves false
   * when the guest did not power off in time (it is then still running).
   */
  powerOffGuest?(runtime: VmRuntime, timeoutMs: number): Promise<boolean>;
  /** Boots a VM again in the same QEMU (reset and resume): after powerOffGuest, or to reset it. */
  bootAgain?(runtime: VmRuntime): Promise<void>;
  /** Removes a terminated instance's UEFI variable store (if it had one). */
  removeVariableStore?(instanceId: string): Promise<void>;
}

/** A volume attached to an instance, as the instance's BlockDeviceMappings show it. */
export interface InstanceDisk {
  readonly volumeId: string;
  readonly path: string;
  readonly serial: string;
  readonly deviceName: string;
  readonly status: 'attaching' | 'attached' | 'detaching';
  readonly attachTime: Date;
  readonly deleteOnTermination: boolean;
  readonly root: boolean;
  /** The volume type's I/O limits. */
  readonly throttle: DiskThrottle;
}

/**
 * An instance's disks, implemented by the storage domain: the root disk is a volume, a
 * copy-on-write overlay on the image's read-only base (O(1) launch).
 */
export interface RootDisks {
  /**
   * Throws the EC2 error a launch's data volumes deserve (type, size, IOPS, snapshot), before
   * anything is made.
   */
  checkLaunchVolumes(specs: readonly DataVolumeSpec[]): void;
  /**
   * The root volume and the launch's data volumes, attached (made once, found again when they
   * exist: a launch redone after a restart makes nothing twice); returns the root's file.
   */
  create(
    instanceId: string,
    image: Image,
    spec?: RootVolumeSpec,
    data?: readonly DataVolumeSpec[],
  ): Promise<string>;
  /** Undoes `create` (an undone launch): the volumes it made, files and rows, go. */
  remove(instanceId: string): Promise<void>;
  /** The volumes attached to the instance, root first. */
  disks(instanceId: string): InstanceDisk[];
  /**
   * The instance terminated (its QEMU is gone): volumes with DeleteOnTermination are deleted,
   * the others become available.
   */
  terminate(instanceId: string): Promise<void>;
}

/** The security groups a launch names (EC2's SecurityGroupIds and SecurityGroups). */
export interface LaunchGroups {
  readonly ids: readonly string[];
  readonly names: readonly string[];
}

/** Where in its subnet an instance's interface goes (EC2's instance-level and ENI options). */
export interface InterfacePlacement {
  /** A fixed private address (one instance only); absent: the first free one. */
  readonly privateIp?: string | undefined;
  /** EC2's AssociatePublicIpAddress; absent: the subnet's MapPublicIpOnLaunch decides. */
  readonly associatePublicIp?: boolean | undefined;
}

/** Implemented by the network domain (NetworkService), which owns the interfaces' records. */
export interface InstanceNetwork {
  /**
   * One interface per instance (addresses, MAC), recorded by the network; call inside the
   * caller's unit of work so that the instances' rows and their interfaces land together.
   */
  allocate(
    instanceIds: readonly string[],
    subnetId?: string,
    groups?: LaunchGroups,
    placement?: InterfacePlacement,
  ): NetworkInterface[];
  /** Frees the instances' interfaces (terminate, undone launch); call inside a unit of work. */
  release(instanceIds: readonly string[]): void;
  /**
   * What the instances' QEMUs need to start: VPC router, subnet bridge with its DHCP
   * reservations, ports. The VPC-wide work is done once for the whole batch.
   */
  plug(instanceIds: readonly string[]): Promise<ReadonlyMap<string, NetworkPort>>;
  /**
   * What the guests need before they run: the VPC's anti-spoofing and NAT rules covering these
   * instances (one transaction per VPC). Launches run it while QEMU starts, and resume the guests
   * only once it is done.
   */
  activate(instanceIds: readonly string[]): Promise<void>;
  /** Removes the instances' ports; their interfaces and addresses stay (stop). */
  unplug(instanceIds: readonly string[]): Promise<void>;
  /** Re-applies VPC-wide state (reservations, NAT) after instances come or go. */
  sync(vpcId: string): Promise<void>;
}

export interface GeneratedKey {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly fingerprint: string;
}

export interface SshKeyTool {
  generate(type: KeyType, comment: string): Promise<GeneratedKey>;
  /** Validates an OpenSSH public key line; throws InvalidKey.Format on anything else. */
  inspect(publicKey: string): Promise<{ type: KeyType; fingerprint: string; publicKey: string }>;
}

/** What the host can give guests, after reserving room for itself. */
export interface HostCapacity {
  readonly vcpus: number;
  readonly memoryMib: number;
}

/** A built image as its recipe describes it (images/<name>/build.sh writes manifest.json). */
export interface ImageManifest {
  readonly name: string;
  readonly description: string;
  readonly architecture: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly disk: string;
  readonly kernelCmdline: string;
  readonly defaultUser: string;
  readonly recipeHash: string;
}

/** The read-only image store under the state directory. */
export interface ImageStore {
  /** The manifest of a built image directory, or undefined if none is there. */
  readManifest(dir: string): Promise<ImageManifest | undefined>;
  /** Copies a built image into the store (read-only files) and returns where they are. */
  import(
    imageId: string,
    dir: string,
    manifest: ImageManifest,
  ): Promise<{ kernelPath: string; initrdPath: string; diskPath: string; sizeBytes: number }>;
}
