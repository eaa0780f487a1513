import {
  credentials,
  Metadata,
  type CallOptions,
  type Client,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { TagsClient } from '../gen/kumo/v1/tags.js';
import { HostClient } from '../gen/kumo/v1/host.js';
import { ImagesClient } from '../gen/kumo/v1/images.js';
import { InstanceTypesClient } from '../gen/kumo/v1/instance_types.js';
import { InstancesClient } from '../gen/kumo/v1/instances.js';
import { KeyPairsClient } from '../gen/kumo/v1/key_pairs.js';
import { SecurityGroupsClient } from '../gen/kumo/v1/security_groups.js';
import {
  AddressesClient,
  InternetGatewaysClient,
  RouteTablesClient,
} from '../gen/kumo/v1/routing.js';
import { VolumesClient } from '../gen/kumo/v1/volumes.js';
import { SnapshotsClient } from '../gen/kumo/v1/snapshots.js';
import { VpcsClient } from '../gen/kumo/v1/vpcs.js';
import { ServiceCallError } from './errors.js';

/** Where kumod listens by default (its systemd unit's socket). */
export const DEFAULT_ENDPOINT = 'unix:///run/kumo/kumo.sock';

/** Per-call deadline: long enough for any describe or lifecycle call on a busy host. */
export const DEFAULT_DEADLINE_MS = 60_000;

/**
 * A gRPC target from what the user typed: `unix:///path` and `host:port` as grpc-js takes them;
 * a bare absolute path is taken as a unix socket, since that is what people paste.
 */
export function grpcTarget(endpoint: string): string {
  return endpoint.startsWith('/') ? `unix://${endpoint}` : endpoint;
}

/** The kumod services, each client made on first use, all closed by close(). */
export interface KumoClients {
  readonly instances: InstancesClient;
  readonly instanceTypes: InstanceTypesClient;
  readonly images: ImagesClient;
  readonly keyPairs: KeyPairsClient;
  readonly securityGroups: SecurityGroupsClient;
  readonly host: HostClient;
  readonly volumes: VolumesClient;
  readonly snapshots: SnapshotsClient;
  readonly vpcs: VpcsClient;
  readonly internetGateways: InternetGatewaysClient;
  readonly routeTables: RouteTablesClient;
  readonly addresses: AddressesClient;
  readonly tags: TagsClient;
  close(): void;
}

/**
 * Clients for kumod at `endpoint`. Credentials are insecure: the unix socket is protected by its
 * file mode and group, and kumod serves nothing else to the CLI today.
 */
export function connect(endpoint: string): KumoClients {
  const target = grpcTarget(endpoint);
  const creds = credentials.createInsecure();
  const made: Client[] = [];
  const lazy = <T extends Client>(make: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        made.push(client);
      }
      return client;
    };
  };
  const instances = lazy(() => new InstancesClient(target, creds));
  const instanceTypes = lazy(() => new InstanceTypesClient(target, creds));
  const images = lazy(() => new ImagesClient(target, creds));
  const keyPairs = lazy(() => new KeyPairsClient(target, creds));
  const securityGroups = lazy(() => new SecurityGroupsClient(target, creds));
  const host = lazy(() => new HostClient(target, creds));
  const volumes = lazy(() => new VolumesClient(target, creds));
  const snapshots = lazy(() => new SnapshotsClient(target, creds));
  const vpcs = lazy(() => new VpcsClient(target, creds));
  const internetGateways = lazy(() => new InternetGatewaysClient(target, creds));
  const routeTables = lazy(() => new RouteTablesClient(target, creds));
  const addresses = lazy(() => new AddressesClient(target, creds));
  const tags = lazy(() => new TagsClient(target, creds));
  return {
    get instances() {
      return instances();
    },
    get instanceTypes() {
      return instanceTypes();
    },
    get images() {
      return images();
    },
    get keyPairs() {
      return keyPairs();
    },
    get securityGroups() {
      return securityGroups();
    },
    get host() {
      return host();
    },
    get volumes() {
      return volumes();
    },
    get snapshots() {
      return snapshots();
    },
    get vpcs() {
      return vpcs();
    },
    get internetGateways() {
      return internetGateways();
    },
    get routeTables() {
      return routeTables();
    },
    get addresses() {
      return addresses();
    },
    get tags() {
      return tags();
    },
    close() {
      for (const c of made.splice(0)) c.close();
    },
  };
}

/** A generated client's unary method in its (request, metadata, options, callback) form. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Makes one unary call with a deadline. A failure rejects with a ServiceCallError that carries
 * the EC2 operation name (`DescribeInstances`) for the aws-style error line.
 */
export function callUnary<Req, Res>(
  operation: string,
  method: UnaryMethod<Req, Res>,
  request: Req,
  deadlineMs: number = DEFAULT_DEADLINE_MS,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) reject(new ServiceCallError(operation, error));
      else resolve(response);
    });
  });
}
