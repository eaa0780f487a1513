import type { ComputeDeps } from './deps.js';
import type { Instance } from './instance.js';
import { findInstanceType } from './instance-types.js';
import { internal, notFound } from '../core/errors.js';

/**
 * Brings an instance's VM up: root disk (created once, kept across stop/start), network port,
 * QEMU. Each step is idempotent; the returned instance carries the runtime to persist.
 */
export async function bringUp(deps: ComputeDeps, instance: Instance): Promise<Instance> {
  const image = deps.images.get(instance.imageId);
  if (!image) {
    throw notFound(
      'InvalidAMIID.NotFound',
      `The image ${instance.imageId} of ${instance.id} is gone`,
    );
  }
  const type = findInstanceType(instance.instanceType);
  if (!type) throw internal(`Unknown instance type ${instance.instanceType} on ${instance.id}`);
  const net = instance.network;
  if (!net) throw internal(`${instance.id} has no network allocation`);

  let current = instance;
  if (!current.rootDisk) {
    const rootDisk = await deps.rootDisks.create(instance.id, image.diskPath);
    current = { ...current, rootDisk };
    deps.instances.put(current);
  }
  const { netns } = await deps.network.plug(current);
  const runtime = await deps.hypervisor.start({
    instanceId: instance.id,
    vcpus: type.vcpus,
    memoryMib: type.memoryMib,
    accel: deps.settings.accel,
    kernel: image.kernelPath,
    initrd: image.initrdPath,
    kernelCmdline: image.kernelCmdline,
    rootDisk: current.rootDisk as string,
    tap: net.tap,
    mac: net.mac,
    netns,
  });
  return { ...current, runtime };
}

/** Takes a VM down if it is still there and removes its port; keeps disk and addresses. */
export async function bringDown(deps: ComputeDeps, instance: Instance): Promise<Instance> {
  if (instance.runtime) await deps.hypervisor.kill(instance.runtime);
  if (instance.network) await deps.network.unplug(instance);
  return { ...instance, runtime: undefined };
}
