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
  const ctx: ApiContext = {
    vpcs: net.vpcService,
    subnets: net.subnetService,
    compute: deps,
    storage: deps.storage,
    sshKeys: new FakeSshKeys(),
    securityGroups: fakeSecurityGroups(new MapInterfaceRepository(deps.network.interfaces)).service,
    routing: fakeRoutingApi(new MapInterfaceRepository(deps.network.interfaces)).api,
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
