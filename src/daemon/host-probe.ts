import type { Logger } from '../core/logger.js';
import type { HostCapacity } from '../compute/ports.js';
import { chooseAccelerator, probeAccelFacts, type AccelChoice } from '../host/accel-probe.js';
import { guestCapacity, probeHost, type HostFacts } from '../host/capacity-probe.js';
import { detectCgroupLayout } from '../host/cgroup-probe.js';
import { Cgroups, NoCgroups, type VmConfinement } from '../host/cgroups.js';
import type { CommandRunner } from '../host/command-runner.js';
import type { DaemonConfig } from './config.js';
import { userId } from './host-accounts.js';

/** What kumod learns about its host once, at start-up. */
export interface HostProbe {
  readonly accel: AccelChoice;
  readonly facts: HostFacts;
  readonly capacity: HostCapacity;
  readonly confinement: VmConfinement;
  readonly qemuVersion: string;
  /** The unprivileged user QEMU drops to, if it exists. */
  readonly runAs: string | undefined;
}

/** kumod refuses to start, with a message that says what is wrong and how to fix it. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export async function probeHostForDaemon(
  config: DaemonConfig,
  runner: CommandRunner,
  logger: Logger,
): Promise<HostProbe> {
  const accel = chooseAccelerator(config.accel, await probeAccelFacts());
  const facts = await probeHost();
  const capacity = guestCapacity(facts, {
    cpuOvercommit: config.cpuOvercommit,
    memoryReserveMib: config.memoryReserveMib,
  });
  const confinement = await confinementFor(config, logger);
  const qemuVersion =
    (await runner.run(config.qemuBinary, ['--version'], { timeoutMs: 10_000 })).stdout.split(
      '\n',
    )[0] ?? '';
  const runAs = await qemuUser(config);
  logger.info('host probed', {
    accel: accel.accel,
    reason: accel.reason,
    capacity,
    cgroups: confinement.description,
    qemuVersion,
    runAs,
  });
  return { accel, facts, capacity, confinement, qemuVersion, runAs };
}

async function confinementFor(config: DaemonConfig, logger: Logger): Promise<VmConfinement> {
  if (config.noCgroups) {
    logger.warn('--no-cgroups: guests run without CPU and memory limits');
    return new NoCgroups();
  }
  const layout = await detectCgroupLayout();
  if ('missing' in layout) {
    throw new StartupError(
      `${layout.missing}. kumod limits each guest's CPU and memory with cgroups, so it will not ` +
        'start without them. Mount the cgroup hierarchy (v2: mount -t cgroup2 none ' +
        '/sys/fs/cgroup; v1: the cpu and memory controllers). If kumod was started with ' +
        '`ip netns exec`, which remounts /sys without cgroups, use `nsenter --net=/run/netns/NAME` ' +
        'instead. To run guests without limits anyway, start kumod with --no-cgroups.',
    );
  }
  return new Cgroups(layout, config.namePrefix, logger);
}

/**
 * QEMU drops to an unprivileged user. If that user is missing kumod refuses, rather than silently
 * running guests as root; `--qemu-user ""` is the explicit way to keep root.
 */
async function qemuUser(config: DaemonConfig): Promise<string | undefined> {
  if (!config.qemuUser) return undefined;
  if ((await userId(config.qemuUser)) === undefined) {
    throw new StartupError(
      `the user ${config.qemuUser} that QEMU runs as does not exist. Create it (useradd --system ` +
        `--no-create-home --shell /usr/sbin/nologin ${config.qemuUser}; scripts/setup does this), ` +
        'or pass --qemu-user "" to run QEMU as root.',
    );
  }
  return config.qemuUser;
}
