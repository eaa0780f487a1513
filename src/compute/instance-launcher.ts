import { internal, notFound, unavailable } from '../core/errors.js';
import { withRollback } from '../core/rollback.js';
import type { ComputeDeps } from './deps.js';
import { bootOf, type Image } from './image.js';
import type { Instance, VmRuntime } from './instance.js';
import { findInstanceType } from './instance-types.js';
import { instanceStoreMib } from './instance-store.js';
import { writeSeeds } from './nocloud-seed.js';
import type { NetworkPort, VmSpec } from './ports.js';

/** Why a launch stopped early, worded for the client. */
function abortError(signal: AbortSignal, timeoutMs: number): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return unavailable(
      `The launch did not finish within ${timeoutMs / 1000} s and was undone; nothing was left ` +
        'behind. Try again; if it keeps happening, the kumod log says which step was slow.',
    );
  }
  if (reason instanceof Error) return reason;
  return unavailable('The launch was cancelled and undone; nothing was left behind.');
}

const stepDone = (signal: AbortSignal, timeoutMs: number): void => {
  if (signal.aborted) throw abortError(signal, timeoutMs);
};

/**
 * Brings a batch of instances up, all or nothing: root disks (created once, kept across
 * stop/start), their network ports (the VPC-wide work once for the batch), then every QEMU in
 * parallel, each confined before it runs guest code. Each step registers its undo as soon as it
 * succeeds; a failure, a cancellation or the launch deadline undoes them all (newest first) and
 * leaves no process, cgroup, tap or new disk. Rows are the caller's: it holds the instances'
 * locks and decides what a failure means for them (deleted for RunInstances, stopped for
 * StartInstances). Returns the instances with their runtimes, already persisted.
 */
export async function launch(
  deps: ComputeDeps,
  batch: readonly Instance[],
  signal?: AbortSignal,
): Promise<Instance[]> {
  const timeoutMs = deps.settings.launchTimeoutMs;
  const deadline = AbortSignal.timeout(timeoutMs);
  const abort = signal ? AbortSignal.any([signal, deadline]) : deadline;
  stepDone(abort, timeoutMs);
  const t0 = performance.now();
  const ids = batch.map((i) => i.id);
  const step = (name: string): void =>
    deps.logger.debug(name, { instanceIds: ids, ms: Math.round(performance.now() - t0) });
  return withRollback(deps.logger, async (rollback) => {
    // The ports' undo comes before the plug: a plug that fails half-way (one `ip -batch` stops
    // at its first error) may have made some ports already, and unplug removes only what is there.
    rollback.add('network ports', () => deps.network.unplug(ids));
    // Disks, ports and NoCloud seeds do not depend on each other: made side by side.
    const [disks, ports, seeds] = await Promise.allSettled([
      Promise.all(
        batch.map(async (instance) => {
          if (instance.rootDisk) return instance;
          const image = imageOf(deps, instance);
          const rootDisk = await deps.rootDisks.create(
            instance.id,
            image,
            instance.rootVolume,
            instance.launchVolumes,
          );
          rollback.add(`volumes of ${instance.id}`, () => deps.rootDisks.remove(instance.id));
          const next = { ...instance, rootDisk };
          deps.instances.put(next);
          return next;
        }),
      ),
      deps.network.plug(ids),
      writeSeeds(deps.seeds, deps.settings.dnsDomain, batch, rollback),
    ]);
    if (disks.status === 'rejected') throw disks.reason;
    if (ports.status === 'rejected') throw ports.reason;
    if (seeds.status === 'rejected') throw seeds.reason;
    const withDisks = disks.value;
    step('disks and ports ready');
    stepDone(abort, timeoutMs);

    // The rules go in while QEMU starts; no guest runs before they are in.
    const activation = deps.network.activate(ids);
    activation.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    const started = await Promise.allSettled(
      withDisks.map((instance) =>
        deps.hypervisor.start(
          {
            ...vmSpec(deps, instance, ports.value.get(instance.id)),
            cloudInitSeed: seeds.value.get(instance.id),
          },
          (runtime: VmRuntime) => {
            // Recorded before QEMU answers: a kumod killed from here on finds this process.
            deps.instances.put({ ...instance, runtime });
            rollback.add(`QEMU of ${instance.id}`, () => deps.hypervisor.kill(runtime));
          },
          { signal: abort, beforeResume: () => activation },
        ),
      ),
    );
    await activation;
    step('vms started');
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw abort.aborted ? abortError(abort, timeoutMs) : failed.reason;
    return withDisks.map((instance, k) => {
      const runtime = (started[k] as PromiseFulfilledResult<VmRuntime>).value;
      const up = { ...instance, runtime };
      deps.instances.put(up);
      return up;
    });
  });
}

/** Takes a VM down if it is still there and removes its port; keeps disk and addresses. */
export async function bringDown(deps: ComputeDeps, instance: Instance): Promise<Instance> {
  if (instance.runtime) await deps.hypervisor.kill(instance.runtime);
  if (instance.network) await deps.network.unplug([instance.id]);
  return { ...instance, runtime: undefined };
}

function imageOf(deps: ComputeDeps, instance: Instance): Image {
  const image = deps.images.get(instance.imageId);
  if (!image) {
    throw notFound(
      'InvalidAMIID.NotFound',
      `The image ${instance.imageId} of ${instance.id} is gone`,
    );
  }
  return image;
}

function vmSpec(deps: ComputeDeps, instance: Instance, port: NetworkPort | undefined): VmSpec {
  const image = imageOf(deps, instance);
  const type = findInstanceType(instance.instanceType);
  if (!type) throw internal(`Unknown instance type ${instance.instanceType} on ${instance.id}`);
  if (!port || !instance.rootDisk) throw internal(`${instance.id} has no network port or disk`);
  const disks = deps.rootDisks.disks(instance.id);
  return {
    instanceId: instance.id,
    instanceType: instance.instanceType,
    vcpus: type.vcpus,
    memoryMib: type.memoryMib,
    accel: deps.settings.accel,
    ...(bootOf(image) === 'kernel'
      ? { kernel: image.kernelPath, initrd: image.initrdPath, kernelCmdline: image.kernelCmdline }
      : { firmware: image.bootMode ?? 'legacy-bios' }),
    rootDisk: instance.rootDisk,
    rootThrottle: disks.find((d) => d.root)?.throttle,
    instanceStoreMib: instanceStoreMib(type, deps.settings.instanceStore),
    // Attached data volumes are part of the VM from its start (stop/start keeps them).
    dataDisks: disks
      .filter((d) => !d.root && d.status === 'attached')
      .map((d) => ({ volumeId: d.volumeId, serial: d.serial, path: d.path, throttle: d.throttle })),
    port,
  };
}
