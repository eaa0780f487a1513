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
import { ImdsTokens, imdsSigningKey } from '../network/imds-tokens.js';
import { metadataLookups } from './metadata-lookups.js';
import { metadataOptionsOf } from '../compute/metadata-options.js';
import { NetworkService } from '../network/network-service.js';
import { SecurityGroupService } from '../network/security-groups.js';
import { SubnetService } from '../network/subnets.js';
import type { VpcDeps } from '../network/vpc-deps.js';
import { VpcService } from '../network/vpcs.js';
import { MetadataEndpoints } from './metadata-endpoints.js';
import { AddressService } from '../network/addresses.js';
import { InternetGatewayService } from '../network/internet-gateways.js';
import type { NetworkInterface } from '../network/network-interface.js';
import type { Route } from '../network/routing.js';
import { RouteTableService } from '../network/route-tables.js';
import { vpcRoutingHooks } from '../network/vpc-routing.js';
import { recordTagStore } from '../compute/resource-tags.js';
import { SqliteSecurityGroupRepository } from '../state/sqlite-security-groups.js';
import { sqliteRoutingRepositories } from '../state/sqlite-routing.js';
import { createGrpcServer, listen } from '../api/server.js';
import { DEFAULT_SITE } from '../api/site.js';
import { SpawnerCommandRunner } from '../host/spawner/spawner-runner.js';
import { FileImageStore } from '../host/image-store.js';
import { UploadedImageFiles } from '../host/image-uploads.js';
import { collectImages, instanceRootDisks } from '../compute/image-dependants.js';
import { abandonPendingImages } from '../compute/register-image.js';
import { LinuxNetworkHost } from '../host/network/linux-network-host.js';
import { LinuxVpcPlumbing } from '../host/network/linux-vpc-plumbing.js';
import { TmpfsInstanceStore } from '../host/tmpfs-instance-store.js';
import { QemuHypervisor } from '../host/qemu/qemu-hypervisor.js';
import { NoCloudIsoSeeds } from '../host/nocloud-iso.js';
import { QemuImgVolumes } from '../host/qemu-img-volumes.js';
import { QemuGuestDisks } from '../host/qemu/qemu-guest-disks.js';
import { InstanceVolumes } from '../storage/instance-volumes.js';
import { recoverVolumes } from '../storage/recovery.js';
import { volumesUsingImage } from '../storage/dependants.js';
import type { StorageDeps } from '../storage/deps.js';
import { SqliteVolumeRepository } from '../state/sqlite-volume-repository.js';
import { SqliteSnapshotRepository } from '../state/sqlite-snapshot-repository.js';
import { readBootId } from '../host/proc.js';
import { SshKeygen } from '../host/ssh-keygen.js';
import { openDatabase } from '../state/database.js';
import {
  SqliteHostFacts,
  SqliteImageRepository,
  SqliteInstanceRepository,
  SqliteKeyPairRepository,
  SqliteNetworkInterfaceRepository,
  SqliteSubnetRepository,
  SqliteUnitOfWork,
  SqliteVpcRepository,
} from '../state/sqlite-repositories.js';
import { parseConfig } from './config.js';
import { probeHostForDaemon } from './host-probe.js';
import { removeStaleSocket } from './stale-socket.js';
import { groupId, userId } from './host-accounts.js';
import { jsonLogger } from './logger.js';
import { ReconcilerLoop } from './reconciler-loop.js';
import { installShutdown } from './shutdown.js';

export const KUMO_VERSION = '0.1.0';
const DIST = dirname(dirname(fileURLToPath(import.meta.url)));

/** The composition root: probes the host, wires adapters to the domain, adopts guests, serves. */
export async function main(argv: readonly string[]): Promise<void> {
  const config = parseConfig(argv);
  const logger = jsonLogger(config.logLevel);
  // Host commands are started by a small helper process: forking kumod itself costs CPU and
  // stalls its event loop in proportion to its memory (docs/decisions/0011).
  const runner = new SpawnerCommandRunner(
    [process.execPath, join(DIST, 'host/spawner/spawner-main.js')],
    logger,
  );
  for (const d of [config.stateDir, config.runDir, dirname(config.socket)])
    await mkdir(d, { recursive: true });
  await mkdir(join(config.runDir, 'metadata'), { recursive: true, mode: 0o700 });

  const probe = await probeHostForDaemon(config, runner, logger);
  // One host is one region with one zone; API, metadata and DHCP all say the same.
  const site = DEFAULT_SITE;
  const db = openDatabase(join(config.stateDir, 'kumo.db'));
  const instances = new SqliteInstanceRepository(db);
  const images = new SqliteImageRepository(db);
  const vpcs = new SqliteVpcRepository(db);
  const subnets = new SqliteSubnetRepository(db);
  const interfaces = new SqliteNetworkInterfaceRepository(db);
  const groups = new SqliteSecurityGroupRepository(db);
  const plumbing = new LinuxVpcPlumbing(
    new LinuxNetworkHost(runner, {
      metadataProxyCommand: [process.execPath, join(DIST, 'host/network/metadata-proxy.js')],
      logger,
    }),
    {
      prefix: config.namePrefix,
      publicBridge: config.publicBridge,
      publicCidr: config.publicCidr,
      runDir: join(config.runDir, 'net'),
      metadataSocketDir: join(config.runDir, 'metadata'),
      domain: site.dnsDomain,
      dnsServers: [],
      allowHostAccess: config.allowGuestHostAccess,
      metadataOptions: (id) => {
        const o = metadataOptionsOf(instances.get(id) ?? {});
        return { hopLimit: o.httpPutResponseHopLimit, enabled: o.httpEndpoint === 'enabled' };
      },
      lan: config.uplinkInterface
        ? {
            mode: config.lanMode,
            uplink: config.uplinkInterface,
            outboundNat: config.outboundNat,
          }
        : undefined,
    },
  );
  const routing = sqliteRoutingRepositories(db);
  const network = new NetworkService({
    vpcs,
    subnets,
    interfaces,
    securityGroups: groups,
    routing,
    plumbing,
    logger,
    settings: {
      publicCidr: config.publicCidr,
      domain: site.dnsDomain,
      publicDomain: site.publicDnsDomain,
    },
    instanceState: (id) => instances.get(id)?.state,
  });
  // QEMU events, API kicks and wake-ups reach the reconciler through the loop.
  const loop = new ReconcilerLoop(config.sweepIntervalS * 1000);
  const hypervisor = new QemuHypervisor({
    qemuBinary: config.qemuBinary,
    instancesDir: join(config.stateDir, 'instances'),
    runAs: probe.runAs,
    tcgCacheMib: 128,
    overheadMib: 256,
    confinement: probe.confinement,
    instanceStore: new TmpfsInstanceStore(runner, logger),
    logger,
    onVmChange: (id) => loop.kick([id]),
    ovmf: { code: config.ovmfCode, varsTemplate: config.ovmfVars },
    // QEMU is forked by the command spawner too, not by kumod (docs/decisions/0032).
    starter: runner,
  });
  const uow = new SqliteUnitOfWork(db);
  const locks = new KeyedMutex();
  const qemuUid = probe.runAs ? await userId(probe.runAs) : undefined;
  const qemuGid = probe.runAs ? await groupId(probe.runAs) : undefined;
  const storage: StorageDeps = {
    uow,
    volumes: new SqliteVolumeRepository(db),
    snapshots: new SqliteSnapshotRepository(db),
    files: new QemuImgVolumes(runner, join(config.stateDir, 'volumes')),
    guestDisks: new QemuGuestDisks({
      owner:
        qemuUid !== undefined && qemuGid !== undefined ? { uid: qemuUid, gid: qemuGid } : undefined,
      logger,
    }),
    instances,
    images,
    locks,
    clock: systemClock,
    logger,
    settings: {
      availabilityZone: site.availabilityZone,
      detachTimeoutMs: 30_000,
      reserveBytes: 1024 ** 3,
    },
  };
  const imageFiles = new UploadedImageFiles(runner, join(config.stateDir, 'images'));
  // An image's file stays while an instance or a volume (a root volume kept after its instance,
  // a volume copied from it) is backed by it.
  const volumeDependants = (imageId: string): string[] => volumesUsingImage(storage, imageId);
  const imageCollector = {
    images,
    imageFiles,
    dependants: [instanceRootDisks(instances), volumeDependants],
    logger,
  };
  const deps: ComputeDeps = {
    uow,
    instances,
    images,
    keyPairs: new SqliteKeyPairRepository(db),
    hypervisor,
    rootDisks: new InstanceVolumes(storage),
    network,
    seeds: new NoCloudIsoSeeds(runner, { instancesDir: join(config.stateDir, 'instances') }),
    capacity: probe.capacity,
    clock: systemClock,
    logger,
    locks,
    wake: (id, afterMs) => loop.wakeAfter(id, afterMs),
    settings: {
      stopTimeoutMs: config.stopTimeoutS * 1000,
      rebootTimeoutMs: config.rebootTimeoutS * 1000,
      terminatedRetentionMs: config.terminatedRetentionS * 1000,
      launchTimeoutMs: config.launchTimeoutS * 1000,
      accel: probe.accel.accel,
      instanceStore: { scale: config.instanceStoreScale, maxMib: config.instanceStoreMaxMib },
      dnsDomain: site.dnsDomain,
    },
    onRootDiskGone: () => collectImages(imageCollector),
  };

  network.ensureDefaultVpc();
  // Registrations a stopped kumod was in the middle of cannot resume: undone.
  await abandonPendingImages({ images, imageFiles, clock: systemClock, logger });
  const securityGroups = new SecurityGroupService({
    groups,
    vpcs,
    interfaces,
    applyVpc: (vpcId) => network.refreshRules(vpcId),
    logger,
  });
  securityGroups.ensureDefaultGroups();
  const routingDeps = {
    routing,
    vpcs,
    subnets,
    interfaces,
    applyVpc: (vpcId: string) => network.refreshRules(vpcId),
    logger,
  };
  const routingApi = {
    gateways: new InternetGatewayService(routingDeps),
    routeTables: new RouteTableService(routingDeps),
    addresses: new AddressService({
      ...routingDeps,
      // An elastic IP that moves renames the instances it leaves and reaches (public DNS names).
      applyVpc: async (vpcId: string) => {
        await network.refreshRules(vpcId);
        await network.refreshNames(vpcId);
      },
      freePoolAddress: () => network.publicAddresses.freePoolAddress(),
      withPublicIp: (eni: NetworkInterface) => network.publicAddresses.withPublicIp(eni),
      forgetFlows: (vpcId: string, ip: string) => network.forgetFlows(vpcId, ip),
      instanceState: (id: string) => instances.get(id)?.state,
    }),
    publicIpOf: (id: string) => network.publicAddresses.publicIpOf(id),
    currentPublicIps: () => network.publicAddresses.currentPublicIps(),
    interfaceOf: (id: string) => interfaces.byInstance(id)?.id,
    routeState: (route: Route, vpcId: string) => network.routeState(route, vpcId),
  };
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
    {
      // public-ipv4 is the address the instance has now (it changes at start; elastic IPs).
      byPrivateIp: (vpcId, ip) => {
        const i = instances.byPrivateIp(vpcId, ip);
        return i?.network
          ? { ...i, network: { ...i.network, publicIp: network.publicAddresses.publicIpOf(i.id) } }
          : i;
      },
    },
    { domain: site.dnsDomain, region: site.region, publicDomain: site.publicDnsDomain },
    systemClock,
    new ImdsTokens(imdsSigningKey(new SqliteHostFacts(db))),
    metadataLookups({ vpcs, subnets, volumes: storage.volumes, securityGroups }),
  );
  const endpoints = new MetadataEndpoints(metadata, (vpc) => network.metadataSocket(vpc), logger);
  for (const vpc of vpcs.list()) await endpoints.created(vpc);
  const vpcDeps: VpcDeps = {
    vpcs,
    subnets,
    interfaces,
    securityGroups: groups,
    plumbing,
    logger,
    routerIp: () => network.freeRouterIp(),
    refreshVpc: (vpcId) => network.refreshVpc(vpcId),
    // A new VPC gets its main route table; gateways and other tables hold delete-vpc.
    hooks: [vpcRoutingHooks(routing), endpoints],
    settings: { availabilityZones: [site.availabilityZone], publicCidr: config.publicCidr },
  };

  // After a host reboot nothing survived: what ran is started again. After a kumod restart,
  // adopt what survived (QEMU outlives kumod), finish launches it left half-done, heal the host.
  recoverAfterHostReboot({ ...deps, hostFacts: new SqliteHostFacts(db) }, await readBootId());
  await recoverVolumes(storage);
  await reconcileAll(deps, true);
  await collectImages(imageCollector);
  // Rules in the VPC namespaces outlive kumod; what this kumod renders replaces them.
  for (const vpc of vpcs.list()) {
    await network.refreshRules(vpc.id).catch((e: unknown) =>
      logger.error('re-applying the VPC rules at start-up failed', {
        vpcId: vpc.id,
        error: String(e),
      }),
    );
  }
  loop.start(deps, () => network.retryFailedRules());

  const abort = new AbortController();
  const server = createGrpcServer(
    {
      compute: deps,
      securityGroups,
      vpcs: new VpcService(vpcDeps),
      subnets: new SubnetService(vpcDeps),
      endpoint: config.socket,
      routing: routingApi,
      storage,
      sshKeys: new SshKeygen(runner),
      kick: (ids) => loop.kick(ids),
      tags: {
        uow,
        locks,
        resources: {
          instance: recordTagStore(instances, (i) => i.id),
          volume: recordTagStore(storage.volumes, (v) => v.id),
          snapshot: recordTagStore(storage.snapshots, (s) => s.id),
          image: recordTagStore(images, (i) => i.id),
          'key-pair': recordTagStore(deps.keyPairs, (k) => k.id),
          'security-group': recordTagStore(groups, (g) => g.id),
          vpc: recordTagStore(vpcs, (v) => v.id),
          subnet: recordTagStore(subnets, (s) => s.id),
          'internet-gateway': recordTagStore(routing.gateways, (g) => g.id),
          'route-table': recordTagStore(routing.routeTables, (t) => t.id),
          'elastic-ip': recordTagStore(routing.addresses, (a) => a.allocationId),
        },
      },
      applyMetadataOptions: (i) =>
        i.network ? network.refreshRules(i.network.vpcId) : Promise.resolve(),
      shutdownSignal: abort.signal,
      site,
      imageFiles,
      imageDependants: [volumeDependants],
      describeHost: () => {
        const all = instances.list();
        const used = usage(all, deps.settings.instanceStore);
        return Promise.resolve({
          hostname: hostname(),
          kumoVersion: KUMO_VERSION,
          accelerator: probe.accel.accel,
          acceleratorReason: probe.accel.reason,
          acceleratorRequested: config.accel,
          qemuVersion: probe.qemuVersion,
          cgroupVersion: probe.confinement.description,
          cpuModel: probe.facts.cpuModel,
          cpuCount: probe.facts.cpuCount,
          memoryTotalMib: probe.facts.memoryTotalMib,
          capacityVcpus: probe.capacity.vcpus,
          capacityMemoryMib: probe.capacity.memoryMib,
          allocatedVcpus: used.vcpus,
          allocatedMemoryMib: used.memoryMib,
          runningInstances: all.filter((i) => i.state === 'running').length,
          publicCidr: config.publicCidr,
          stateDir: config.stateDir,
        });
      },
    },
    logger,
    // The descriptors `buf build` made at build time, served as they are by reflection.
    join(DIST, 'kumo.binpb'),
  );
  const socketPath = config.socket.replace(/^unix:\/\//, '');
  await mkdir(dirname(socketPath), { recursive: true });
  await removeStaleSocket(socketPath);
  await listen(server, `unix://${socketPath}`);
  await chmod(socketPath, 0o660);
  const gid = await groupId(config.socketGroup);
  if (gid !== undefined) await chown(socketPath, 0, gid);
  logger.info('kumod ready', { socket: socketPath, version: KUMO_VERSION });

  installShutdown({
    logger,
    server,
    abort,
    stopLoop: (ms) => loop.stop(ms),
    close: () => {
      hypervisor.close();
      runner.close();
      endpoints.closeAll();
      db.close();
    },
  });
}
