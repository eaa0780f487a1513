import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { Logger } from '../core/logger.js';
import { HostService } from '../gen/kumo/v1/host.js';
import { ImagesService } from '../gen/kumo/v1/images.js';
import { InstanceTypesService } from '../gen/kumo/v1/instance_types.js';
import { InstancesService } from '../gen/kumo/v1/instances.js';
import { KeyPairsService } from '../gen/kumo/v1/key_pairs.js';
import type { ApiContext } from './context.js';
import { instancesHandlers } from './instances-handlers.js';
import {
  hostHandlers,
  imagesHandlers,
  instanceTypesHandlers,
  keyPairsHandlers,
} from './other-handlers.js';

const PROTO_FILES = ['host', 'images', 'instance_types', 'instances', 'key_pairs', 'common'].map(
  (n) => `kumo/v1/${n}.proto`,
);

/** The gRPC server with every service and server reflection (so grpcurl and friends work). */
export function createGrpcServer(ctx: ApiContext, logger: Logger, protoDir: string): Server {
  const server = new Server();
  server.addService(InstancesService, instancesHandlers(ctx, logger));
  server.addService(InstanceTypesService, instanceTypesHandlers(ctx, logger));
  server.addService(ImagesService, imagesHandlers(ctx, logger));
  server.addService(KeyPairsService, keyPairsHandlers(ctx, logger));
  server.addService(HostService, hostHandlers(ctx, logger));
  const definition = loadSync(PROTO_FILES, { includeDirs: [protoDir] });
  new ReflectionService(definition).addToServer(server);
  return server;
}

/** Binds to `unix:///path` or `host:port` and resolves once listening. */
export function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    );
  });
}
