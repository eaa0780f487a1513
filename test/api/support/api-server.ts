import { fakeSecurityGroups, MapInterfaceRepository } from '../../fakes/security-groups.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import type { ApiContext } from '../../../src/api/context.js';
import { createGrpcServer, listen } from '../../../src/api/server.js';
import type { Logger } from '../../../src/core/logger.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeComputeDeps, type FakeComputeDeps } from '../../fakes/compute-deps.js';
import { FakeSshKeys } from '../../fakes/fake-host.js';
import { fakeVpcServices } from '../../fakes/vpcs.js';
import { fakeRoutingApi } from '../../fakes/routing.js';
import { recordTagStore } from '../../../src/compute/resource-tags.js';

export const ROOT = resolve(import.meta.dirname, '../../..');

/**
 * The FileDescriptorSet kumod serves by reflection, built from proto/ the way the build does
 * (`buf build --as-file-descriptor-set`), into `dir`.
 */
export function buildDescriptorSet(dir: string): string {
  const out = join(dir, 'kumo.binpb');
  execFileSync(
    join(ROOT, 'node_modules/.bin/buf'),
    ['build', '--as-file-descriptor-set', '-o', out],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return out;
}

export interface ApiServer {
  readonly address: string;
  readonly socket: string;
  readonly dir: string;
  readonly deps: FakeComputeDeps;
  readonly kicked: string[];
  close(): void;
}

/** The real gRPC server on a temp socket, with the domain wired to fakes of our own ports. */
export async function startApiServer(
  options: {
    readonly describeHost?: ApiContext['describeHost'];
    readonly logger?: Logger;
    /** Defaults to a descriptor set built for this server. */
    readonly descriptorSetPath?: string;
    /** Registered images' files (RegisterImage and friends); absent: those calls are unavailable. */
    readonly imageFiles?: ApiContext['imageFiles'];
    readonly uploadIdleTimeoutMs?: number;
  } = {},
): Promise<ApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-api-'));
  const deps = fakeComputeDeps();
  const kicked: string[] = [];
  const net = fakeVpcServices({ interfaces: new MapInterfaceRepository(deps.network.interfaces) });
  const sg = fakeSecurityGroups(new MapInterfaceRepository(deps.network.interfaces));
  const routing = fakeRoutingApi(new MapInterfaceRepository(deps.network.interfaces));
  const ctx: ApiContext = {
    tags: {
      uow: deps.uow,
      locks: deps.locks,
      resources: {
        instance: recordTagStore(deps.instances, (i) => i.id),
        volume: recordTagStore(deps.storage.volumes, (v) => v.id),
        snapshot: recordTagStore(deps.storage.snapshots, (s) => s.id),
        image: recordTagStore(deps.images, (i) => i.id),
        'key-pair': recordTagStore(deps.keyPairs, (k) => k.id),
        'security-group': recordTagStore(sg.groups, (g) => g.id),
        vpc: recordTagStore(net.vpcs, (v) => v.id),
        subnet: recordTagStore(net.subnets, (s) => s.id),
        'internet-gateway': recordTagStore(routing.routing.gateways, (g) => g.id),
        'route-table': recordTagStore(routing.routing.routeTables, (t) => t.id),
        'elastic-ip': recordTagStore(routing.routing.addresses, (a) => a.allocationId),
      },
    },
    vpcs: net.vpcService,
    subnets: net.subnetService,
    compute: deps,
    storage: deps.storage,
    sshKeys: new FakeSshKeys(),
    securityGroups: sg.service,
    routing: routing.api,
    kick: (ids) => kicked.push(...ids),
    imageFiles: options.imageFiles,
    uploadIdleTimeoutMs: options.uploadIdleTimeoutMs,
    describeHost:
      options.describeHost ?? (() => Promise.reject(new Error('disk on fire at /secret/path'))),
  };
  const server: Server = createGrpcServer(
    ctx,
    options.logger ?? silentLogger,
    options.descriptorSetPath ?? buildDescriptorSet(dir),
  );
  const socket = join(dir, 'kumo.sock');
  const address = `unix://${socket}`;
  await listen(server, address);
  return {
    address,
    socket,
    dir,
    deps,
    kicked,
    close: () => {
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
