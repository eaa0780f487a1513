import type { Instance, InstanceNetworkInfo, VmRuntime } from '../../src/compute/instance.js';
import type {
  GeneratedKey,
  Hypervisor,
  InstanceNetwork,
  RootDisks,
  SshKeyTool,
  VmSpec,
  VmStatus,
} from '../../src/compute/ports.js';
import type { KeyType } from '../../src/compute/key-pair.js';
import { invalidParameter } from '../../src/core/errors.js';

/** A hypervisor whose VMs are entries in a map; tests flip their status to simulate guests. */
export class FakeHypervisor implements Hypervisor {
  vms = new Map<number, { spec: VmSpec; status: VmStatus; powerDowns: number; reboots: number }>();
  nextPid = 1000;
  failNextStart: Error | undefined;
  artifactsRemoved: string[] = [];
  /** Pids whose resources were released by kill(), whether or not the VM was still running. */
  released: number[] = [];

  start(spec: VmSpec): Promise<VmRuntime> {
    if (this.failNextStart) {
      const e = this.failNextStart;
      this.failNextStart = undefined;
      return Promise.reject(e);
    }
    const pid = this.nextPid++;
    this.vms.set(pid, { spec, status: 'running', powerDowns: 0, reboots: 0 });
    return Promise.resolve({
      pid,
      startTime: pid * 10,
      qmpSocket: `/fake/${spec.instanceId}/qmp.sock`,
    });
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

export class FakeRootDisks implements RootDisks {
  disks = new Set<string>();
  create(instanceId: string, base: string): Promise<string> {
    const path = `/fake/volumes/${instanceId}-root.qcow2@${base}`;
    this.disks.add(path);
    return Promise.resolve(path);
  }
  remove(path: string): Promise<void> {
    this.disks.delete(path);
    return Promise.resolve();
  }
}

/** Hands out 10.0.0.x addresses; records plugged taps. */
export class FakeNetwork implements InstanceNetwork {
  taps = new Set<string>();
  next = 10;
  syncs: string[] = [];
  allocate(ids: readonly string[]): InstanceNetworkInfo[] {
    return ids.map((id) => {
      const n = this.next++;
      return {
        vpcId: 'vpc-00000000000000001',
        subnetId: 'subnet-00000000000000001',
        privateIp: `10.0.0.${n}`,
        publicIp: `100.80.0.${n}`,
        mac: `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`,
        tap: `tap${id.slice(2, 14)}`,
      };
    });
  }
  plug(i: Instance): Promise<{ netns: string }> {
    if (i.network) this.taps.add(i.network.tap);
    return Promise.resolve({ netns: 'fake-ns' });
  }
  unplug(i: Instance): Promise<void> {
    if (i.network) this.taps.delete(i.network.tap);
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
