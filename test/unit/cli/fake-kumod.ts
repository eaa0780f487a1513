import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { InstancesService } from '../../../src/gen/kumo/v1/instances.js';

/** A stand-in for kumod: the Instances service on a temporary unix socket, calls recorded. */
export interface FakeKumod {
  readonly endpoint: string;
  readonly dir: string;
  /** Every request, by RPC (`describeInstances`), in arrival order. */
  readonly seen: Record<string, unknown[]>;
  close(): void;
}

type Handler = (request: unknown) => unknown;

/** The EC2 error kumod answers with: a gRPC status and the code in the trailers. */
export function ec2Error(code: string, grpcStatus: status, details: string) {
  const metadata = new Metadata();
  metadata.set('ec2-error-code', code);
  return Object.assign(new Error(details), { code: grpcStatus, details, metadata });
}

/** Starts the fake; each handler returns the response or throws the error to answer with. */
export async function startFakeKumod(handlers: Record<string, Handler>): Promise<FakeKumod> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-cli-'));
  const endpoint = `unix://${join(dir, 'kumo.sock')}`;
  const seen: Record<string, unknown[]> = {};
  const server = new Server();
  const implementation: UntypedServiceImplementation = Object.fromEntries(
    Object.keys(InstancesService).map((rpc) => [
      rpc,
      (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        (seen[rpc] ??= []).push(call.request);
        const handler = handlers[rpc];
        if (handler === undefined) return callback({ code: status.UNIMPLEMENTED });
        try {
          callback(null, handler(call.request));
        } catch (e) {
          callback(e as ServiceError);
        }
      },
    ]),
  );
  server.addService(InstancesService, implementation);
  await new Promise<void>((ok, fail) =>
    server.bindAsync(endpoint, ServerCredentials.createInsecure(), (e) => (e ? fail(e) : ok())),
  );
  return {
    endpoint,
    dir,
    seen,
    close() {
      server.forceShutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `kumo ...args` in-process against `endpoint`; what it printed and its exit code. */
export async function kumo(endpoint: string, args: string[], columns?: number) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'kumo', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KUMO_ENDPOINT: endpoint },
    columns,
  });
  return { code, stdout, stderr };
}
