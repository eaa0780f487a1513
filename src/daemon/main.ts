import { chmod, chown, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComputeDeps } from '../compute/deps.js';
import { registerBuiltImage } from '../compute/images.js';
import { recoverAfterHostReboot } from '../compute/host-reboot.js';
import { reconcileAll } from '../compute/instance-reconciler.js';
import { usage } from '../compute/capacity.js';
import { systemClock } from '../core/clock.js';
import { KeyedMutex } from '../core/keyed-mutex.js';
import { MetadataService } from '../network/metadata-service.js';
import { NetworkService } from '../network/network-service.js';
import { createGrpcServer, listen } from '../api/server.js';
import { MetadataEndpoint } from '../api/metadata-http.js';
import { chooseAccelerator, probeAccelFacts } from '../host/accel-probe.js';
import { guestCapacity, probeHost } from '../host/capacity-probe.js';
import { Cgroups, detectCgroupVersion } from '../host/cgroups.js';
import { ExecaCommandRunner } from '../host/command-runner.js';
import { FileImageStore } from '../host/image-store.js';
import { LinuxNetworkHost } from '../host/network/linux-network-host.js';
import { QemuHypervisor } from '../host/qemu/qemu-hypervisor.js';
import { QemuImgDisks } from '../host/qemu-img-disks.js';
import { readBootId } from '../host/proc.js';
import { SshKeygen } from '../host/ssh-keygen.js';
import { openDatabase } from '../state/database.js';
import {
  SqliteHostFacts,
  SqliteImageRepository,
  SqliteInstanceRepository,
  SqliteKeyPairRepository,
  SqliteSubnetRepository,
  SqliteUnitOfWork,
  SqliteVpcRepository,
} from '../state/sqlite-repositories.js';
import { parseConfig } from './config.js';
import { removeStaleSocket } from './stale-socket.js';
import { groupId, userId } from './host-accounts.js';
import { jsonLogger } from './logger.js';
import { ReconcilerLoop } from './reconciler-loop.js';

export const KUMO_VERSION = '0.1.0';
const DIST = dirname(dirname(fileURLToPath(import.meta.url)));

/** The composition root: probes the host, wires adapters to the domain, adopts guests, serves. */
export async function main(argv: readonly string[]): Promise<void> {
  const config = parseConfig(argv);
  const logger = jsonLogger(config.logLevel);
  const runner = new ExecaCommandRunner();
  for (const d of [config.stateDir, config.runDir, dirname(config.socket)])
    await mkdir(d, { recursive: true });
  await mkdir(join(config.runDir, 'metadata'), { recursive: true, mode: 0o700 });

  const accelChoice = chooseAccelerator(config.accel, await probeAccelFacts());
  const facts = await probeHost();
  const capacity = guestCapacity(facts, {
    cpuOvercommit: config.cpuOvercommit,
    memoryReserveMib: config.memoryReserveMib,
  });
  const cgroupVersion = await detectCgroupVersion();
  const qemuVersion =
    (await runner.run(config.qemuBinary, ['--version'])).stdout.split('\n')[0] ?? '';
  const runAs =
    config.qemuUser && (await userId(config.qemuUser)) !== undefined ? config.qemuUser : undefined;
  logger.info('host probed', {
    accel: accelChoice.accel,
    reason: accelChoice.reason,
    capacity,
    cgroupVersion,
    qemuVersion,
    runAs,
  });
  if (config.qemuUser && !runAs)
    logger.warn('QEMU user missing; guests run as root', { user: config.qemuUser });

  const db = openDatabase(join(config.stateDir, 'kumo.db'));
  const instances = new SqliteInstanceRepository(db);
  const images = new SqliteImageRepository(db);
  const vpcs = new SqliteVpcRepository(db);
  const network = new NetworkService({
    vpcs,
    subnets: new SqliteSubnetRepository(db),
    instances: {
      list: () =>
        instances
          .list()
          .flatMap((i) =>
            i.network
              ? [{ instanceId: i.id, terminated: i.state === 'terminated', ...i.network }]
              : [],
          ),
    },
    host: new LinuxNetworkHost(runner, {
      metadataProxyCommand: [process.execPath, join(DIST, 'host/network/metadata-proxy.js')],
      logger,
    }),
    logger,
    settings: {
      prefix: config.namePrefix,
      publicCidr: config.publicCidr,
      publicBridge: config.publicBridge,
      runDir: join(config.runDir, 'net'),
      metadataSocketDir: join(config.runDir, 'metadata'),
      domain: 'kumo.internal',
      dnsServers: [],
    },
  });
  const deps: ComputeDeps = {
    uow: new SqliteUnitOfWork(db),
    instances,
    images,
    keyPairs: new SqliteKeyPairRepository(db),
    hypervisor: new QemuHypervisor({
      qemuBinary: config.qemuBinary,
      instancesDir: join(config.stateDir, 'instances'),
      runAs,
      tcgCacheMib: 128,
      overheadMib: 256,
      cgroups: new Cgroups(cgroupVersion, config.namePrefix, logger),
      logger,
    }),
    rootDisks: new QemuImgDisks(runner, join(config.stateDir, 'volumes')),
    network,
    capacity,
    clock: systemClock,
    logger,
    locks: new KeyedMutex(),
    settings: {
      stopTimeoutMs: config.stopTimeoutS * 1000,
      rebootTimeoutMs: config.rebootTimeoutS * 1000,
      terminatedRetentionMs: config.terminatedRetentionS * 1000,
      accel: accelChoice.accel,
    },
  };

  network.ensureDefaultVpc();
  await registerBuiltImage(
    {
      images,
      store: new FileImageStore(join(config.stateDir, 'images')),
      clock: systemClock,
      logger,
    },
    config.imageDir,
  );

  const metadata = new MetadataService(
    instances,
    { domain: 'kumo.internal', region: 'kumo-local-1' },
    systemClock,
  );
  const endpoints: MetadataEndpoint[] = [];
  for (const vpc of vpcs.list()) {
    const endpoint = new MetadataEndpoint(vpc.id, metadata, logger);
    await endpoint.listen(network.vpcSpec(vpc).metadataSocket);
    endpoints.push(endpoint);
  }

  // After a host reboot nothing survived: what ran is started again. After a kumod restart,
  // adopt what survived (QEMU outlives kumod) and heal host state.
  recoverAfterHostReboot({ ...deps, hostFacts: new SqliteHostFacts(db) }, await readBootId());
  await reconcileAll(deps, true);
  const loop = new ReconcilerLoop(deps, config.reconcileIntervalMs);
  loop.start();

  const server = createGrpcServer(
    {
      compute: deps,
      sshKeys: new SshKeygen(runner),
      kick: (ids) => loop.kick(ids),
      describeHost: () => {
        const all = instances.list();
        const used = usage(all);
        return Promise.resolve({
          hostname: hostname(),
          kumoVersion: KUMO_VERSION,
          accelerator: accelChoice.accel,
          acceleratorReason: accelChoice.reason,
          acceleratorRequested: config.accel,
          qemuVersion,
          cgroupVersion,
          cpuModel: facts.cpuModel,
          cpuCount: facts.cpuCount,
          memoryTotalMib: facts.memoryTotalMib,
          capacityVcpus: capacity.vcpus,
          capacityMemoryMib: capacity.memoryMib,
          allocatedVcpus: used.vcpus,
          allocatedMemoryMib: used.memoryMib,
          runningInstances: all.filter((i) => i.state === 'running').length,
          publicCidr: config.publicCidr,
          stateDir: config.stateDir,
        });
      },
    },
    logger,
    join(DIST, '..', 'proto'),
  );
  const socketPath = config.socket.replace(/^unix:\/\//, '');
  await mkdir(dirname(socketPath), { recursive: true });
  await removeStaleSocket(socketPath);
  await listen(server, `unix://${socketPath}`);
  await chmod(socketPath, 0o660);
  const gid = await groupId(config.socketGroup);
  if (gid !== undefined) await chown(socketPath, 0, gid);
  logger.info('kumod ready', { socket: socketPath, version: KUMO_VERSION });

  const shutdown = (signal: string): void => {
    logger.info('shutting down; instances keep running', { signal });
    void loop.stop().then(() => {
      server.tryShutdown(() => {
        endpoints.forEach((e) => e.close());
        db.close();
        process.exit(0);
      });
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
