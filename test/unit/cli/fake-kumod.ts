import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import * as host from '../../../src/gen/kumo/v1/host.js';
import * as images from '../../../src/gen/kumo/v1/images.js';
import * as instanceTypes from '../../../src/gen/kumo/v1/instance_types.js';
import * as instances from '../../../src/gen/kumo/v1/instances.js';
import * as keyPairs from '../../../src/gen/kumo/v1/key_pairs.js';
import * as tags from '../../../src/gen/kumo/v1/tags.js';

/** A stand-in for kumod: every kumo.v1 service on a temporary unix socket, calls recorded. */
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

/** A generated module's messages, by name (`DescribeInstancesResponse`). */
type Messages = Record<string, unknown>;

const SERVICES: readonly [ServiceDefinition, Messages][] = [
  [instances.InstancesService, instances],
  [keyPairs.KeyPairsService, keyPairs],
  [images.ImagesService, images],
  [instanceTypes.InstanceTypesService, instanceTypes],
  [host.HostService, host],
  [tags.TagsService, tags],
];

/**
 * `partial` as the complete response message of `rpc` (`describeInstances`), as kumod sends it.
 * Handlers write partial objects; without this a missing string would be encoded as the text
 * "undefined" (ts-proto's encoder expects every field), which kumod never sends.
 */
export function responseOf(rpc: string, partial: unknown): unknown {
  const name = `${rpc.charAt(0).toUpperCase()}${rpc.slice(1)}Response`;
  const messages = SERVICES.find(([service]) => rpc in service)?.[1];
  const type = messages?.[name] as { fromPartial(object: unknown): unknown } | undefined;
  if (type === undefined) throw new Error(`no response message for ${rpc}`);
  return type.fromPartial(partial);
}

/** Starts the fake; each handler returns the response or throws the error to answer with. */
export async function startFakeKumod(handlers: Record<string, Handler>): Promise<FakeKumod> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-cli-'));
  const endpoint = `unix://${join(dir, 'kumo.sock')}`;
  const seen: Record<string, unknown[]> = {};
  const server = new Server();
  for (const [service] of SERVICES) {
    const implementation: UntypedServiceImplementation = Object.fromEntries(
      Object.keys(service).map((rpc) => [
        rpc,
        (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          (seen[rpc] ??= []).push(call.request);
          const handler = handlers[rpc];
          if (handler === undefined) return callback({ code: status.UNIMPLEMENTED });
          try {
            callback(null, responseOf(rpc, handler(call.request)));
          } catch (e) {
            callback(e as ServiceError);
          }
        },
      ]),
    );
    server.addService(service, implementation);
  }
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

/**
 * A handler that answers the calls in order from `script`: a response, or an Error to fail
 * with. Calls past the end fail, so a test notices a call it did not expect.
 */
export function scripted(script: readonly unknown[]): Handler {
  let next = 0;
  return () => {
    const answer = script[next];
    next += 1;
    if (answer === undefined)
      throw ec2Error('Test.UnexpectedCall', status.INTERNAL, `call ${next} was not scripted`);
    if (answer instanceof Error) throw answer;
    return answer;
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
