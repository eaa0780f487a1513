import type { ComputeDeps } from './deps.js';
import { REASONS } from './instance.js';
import type { HostFacts } from './ports.js';

/** The HostFacts key holding the boot id kumod last ran under. */
export const BOOT_ID_FACT = 'boot-id';

/**
 * Tells a host reboot from a kumod restart by the kernel's boot id, and after a reboot sets the
 * instances up to come back: nothing kumod started survives a reboot (QEMU, taps, namespaces), so
 * without this every running instance would read as crashed. Instances that were running or
 * pending go back to pending (the reconciler starts them again, disk and addresses kept), as EC2
 * recovers instances after a host failure and Incus or Multipass restore what ran before a
 * reboot; an instance that was stopping ends stopped. Runtimes are dropped everywhere: their pids
 * belong to the previous boot. Call once at start-up, before the first reconcile.
 * Returns the ids that will be started again.
 */
export function recoverAfterHostReboot(
  deps: Pick<ComputeDeps, 'instances' | 'uow' | 'logger' | 'clock'> & {
    readonly hostFacts: HostFacts;
  },
  bootId: string,
): string[] {
  const previous = deps.hostFacts.get(BOOT_ID_FACT);
  const restarted: string[] = [];
  // The instances start again now: EC2's LaunchTime is the last start.
  const now = deps.clock.now();
  if (previous !== undefined && previous !== bootId) {
    deps.uow.run(() => {
      for (const i of deps.instances.list()) {
        if (i.state === 'running' || i.state === 'pending') {
          const reason = REASONS.hostRebooted;
          deps.instances.put({
            ...i,
            state: 'pending',
            runtime: undefined,
            stateReason: reason,
            launchTime: now,
          });
          restarted.push(i.id);
        } else if (i.state === 'stopping') {
          const reason = i.stateReason ?? REASONS.userStop;
          deps.instances.put({ ...i, state: 'stopped', runtime: undefined, stateReason: reason });
        } else if (i.runtime) {
          deps.instances.put({ ...i, runtime: undefined });
        }
      }
    });
    deps.logger.info('the host rebooted since kumod last ran; starting its instances again', {
      instances: restarted,
    });
  }
  deps.hostFacts.set(BOOT_ID_FACT, bootId);
  return restarted;
}
