import type { VmRuntime } from '../../src/compute/instance.js';
import type { NetworkInterface } from '../../src/network/network-interface.js';
import type {
  GeneratedKey,
  Hypervisor,
  InstanceNetwork,
  NetworkPort,
  StartOptions,
  SshKeyTool,
  VmSpec,
  VmStatus,
} from '../../src/compute/ports.js';
import type { KeyType } from '../../src/compute/key-pair.js';
import { invalidParameter } from '../../src/core/errors.js';
import type { CloudInitSeeds, NoCloudFiles } from '../../src/compute/nocloud-seed.js';

/** A hypervisor whose VMs are entries in a map; tests flip their status to simulate guests. */
export class FakeHypervisor implements Hypervisor {
  vms = new Map<number, { spec: VmSpec; status: VmStatus; powerDowns: number; reboots: number }>();
  nextPid = 1000;
  failNextStart: Error | undefined;
  artifactsRemoved: string[] = [];
  /** Pids whose resources were released by kill(), whether or not the VM was still running. */
  released: number[] = [];

  /** Instance ids whose events are followed (watch). */
  watched = new Set<string>();
  /** Every start, in order, with the runtime it recorded first. */
  recorded: VmRuntime[] = [];

  async start(
    spec: VmSpec,
    record: (rt: VmRuntime) => void,
    options: StartOptions = {},
  ): Promise<VmRuntime> {
    if (this.failNextStart) {
      const e = this.failNextStart;
      this.failNextStart = undefined;
      throw e;
    }
    const pid = this.nextPid++;
    const dir = `/fake/${spec.instanceId}`;
    const runtime: VmRuntime = {
      instanceId: spec.instanceId,
      pid,
      startTime: pid * 10,
      launched: false,
      paths: {
        dir,
        qmpSocket: `${dir}/qmp.sock`,
        qmpEventSocket: `${dir}/qmp-events.sock`,
        consoleSocket: `${dir}/console.sock`,
        consoleLog: `${dir}/console.log`,
        pidFile: `${dir}/qemu.pid`,
        qemuLog: `${dir}/qemu.log`,
      },
    };
    const vm = { spec, status: 'paused' as VmStatus, powerDowns: 0, reboots: 0 };
    this.vms.set(pid, vm);
    record(runtime);
    this.recorded.push(runtime);
    try {
      // As QEMU: paused until what the caller waits for is done; a failure there ends the VM.
      await options.beforeResume?.();
    } catch (e) {
      vm.status = 'gone';
      throw e;
    }
    vm.status = 'running';
    this.watched.add(spec.instanceId);
    return { ...runtime, launched: true };
  }
  watch(rt: VmRuntime): Promise<void> {
    this.watched.add(rt.instanceId);
    return Promise.resolve();
  }
  vmOf(instanceId: string) {
    return [...this.vms.values()].find(
      (v) => v.spec.instanceId === instanceId && v.status !== 'gone',
    );
  }
  inspect(rt: VmRuntime): Promise<VmStatus> {
    return Promise.resolve(this.vms.get(rt.pid)?.status ?? 'gone');
  }
  powerDown(rt: VmRuntime): Promise<void> {
    const vm = this.vms.get(rt.pid);
    if (vm) vm.powerDowns++;
    return Promise.resolve();
  }
  reboot(rt: VmRuntime): Promise<void> {
    const vm = this.vms.get(rt.pid);
    if (vm) vm.reboots++;
    return Promise.resolve();
  }
  kill(rt: VmRuntime): Promise<void> {
    const vm = this.vms.get(rt.pid);
    if (vm) vm.status = 'gone';
    this.watched.delete(rt.instanceId);
    this.released.push(rt.pid);
    return Promise.resolve();
  }
  consoleOutput(instanceId: string): Promise<string> {
    return Promise.resolve(`console of ${instanceId}`);
  }
  removeArtifacts(instanceId: string): Promise<void> {
    this.artifactsRemoved.push(instanceId);
    return Promise.resolve();
  }
  running(): number {
    return [...this.vms.values()].filter((v) => v.status !== 'gone').length;
  }
}

/**
 * Hands out 10.0.0.x interfaces and keeps them until release; records plugged ports and how often
 * the VPC-wide work ran.
 */
export class FakeNetwork implements InstanceNetwork {
  /** Live interfaces by instance id. */
  interfaces = new Map<string, NetworkInterface>();
  /** Instance ids whose ports are plugged. */
  ports = new Set<string>();
  /** Instance ids whose port the next plug reports as newly made (as if it had been lost). */
  lostPorts = new Set<string>();
  next = 10;
  syncs: string[] = [];
  /** One entry per plug call: the batch size (the VPC-wide work runs once per call). */
  plugCalls: number[] = [];
  failNextPlug: Error | undefined;
  /** Instance ids covered by the rules (activate). */
  activated = new Set<string>();
  failNextActivate: Error | undefined;
  allocate(ids: readonly string[]): NetworkInterface[] {
    return ids.map((instanceId) => {
      const n = this.next++;
      const eni: NetworkInterface = {
        id: `eni-${String(n).padStart(17, '0')}`,
        instanceId,
        vpcId: 'vpc-00000000000000001',
        subnetId: 'subnet-00000000000000001',
        privateIp: `10.0.0.${n}`,
        publicIp: `100.80.0.${n}`,
        mac: `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`,
      };
      this.interfaces.set(instanceId, eni);
      return eni;
    });
  }
  release(ids: readonly string[]): void {
    for (const id of ids) this.interfaces.delete(id);
  }
  plug(ids: readonly string[]): Promise<ReadonlyMap<string, NetworkPort>> {
    if (this.failNextPlug) {
      const e = this.failNextPlug;
      this.failNextPlug = undefined;
      // As a real `ip -batch` that stops half-way: the first port was made before the failure.
      if (ids[0] !== undefined) this.ports.add(ids[0]);
      return Promise.reject(e);
    }
    this.plugCalls.push(ids.length);
    const ports = new Map<string, NetworkPort>();
    for (const id of ids) {
      const eni = this.interfaces.get(id);
      if (!eni) return Promise.reject(new Error(`${id} has no interface`));
      const created = !this.ports.has(id) || this.lostPorts.delete(id);
      this.ports.add(id);
      ports.set(id, { netns: 'fake-ns', tap: `tap-${id}`, mac: eni.mac, created });
    }
    return Promise.resolve(ports);
  }
  activate(ids: readonly string[]): Promise<void> {
    if (this.failNextActivate) {
      const e = this.failNextActivate;
      this.failNextActivate = undefined;
      return Promise.reject(e);
    }
    for (const id of ids) this.activated.add(id);
    return Promise.resolve();
  }
  unplug(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.ports.delete(id);
    return Promise.resolve();
  }
  sync(vpcId: string): Promise<void> {
    this.syncs.push(vpcId);
    return Promise.resolve();
  }
}

export class FakeSshKeys implements SshKeyTool {
  generate(type: KeyType, comment: string): Promise<GeneratedKey> {
    return Promise.resolve({
      privateKey: `-----BEGIN FAKE ${type} KEY-----\n`,
      publicKey: `ssh-${type} AAAAfake ${comment}`,
      fingerprint: 'SHA256:fake',
    });
  }
  inspect(publicKey: string) {
    if (!publicKey.startsWith('ssh-ed25519 ')) {
      return Promise.reject(
        invalidParameter('Key is not in valid OpenSSH public key format', 'InvalidKey.Format'),
      );
    }
    return Promise.resolve({ type: 'ed25519' as const, fingerprint: 'SHA256:imported', publicKey });
  }
}

/** NoCloud seeds as entries in a map: what each instance's seed holds now, and every write. */
export class FakeSeeds implements CloudInitSeeds {
  readonly current = new Map<string, NoCloudFiles>();
  readonly writes: { instanceId: string; files: NoCloudFiles }[] = [];
  failNextWrite: Error | undefined;

  write(instanceId: string, files: NoCloudFiles): Promise<string> {
    if (this.failNextWrite) {
      const e = this.failNextWrite;
      this.failNextWrite = undefined;
      // As the real one: a failed write leaves no seed, not even the previous one.
      this.current.delete(instanceId);
      return Promise.reject(e);
    }
    this.writes.push({ instanceId, files });
    this.current.set(instanceId, files);
    return Promise.resolve(`/fake/${instanceId}/cidata.iso`);
  }
  remove(instanceId: string): Promise<void> {
    this.current.delete(instanceId);
    return Promise.resolve();
  }
}
