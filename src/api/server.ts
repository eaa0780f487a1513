import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '../core/logger.js';
import { HostService } from '../gen/kumo/v1/host.js';
import { ImagesService } from '../gen/kumo/v1/images.js';
import { InstanceTypesService } from '../gen/kumo/v1/instance_types.js';
import { InstancesService } from '../gen/kumo/v1/instances.js';
import { KeyPairsService } from '../gen/kumo/v1/key_pairs.js';
import { SecurityGroupsService } from '../gen/kumo/v1/security_groups.js';
import { securityGroupsHandlers } from './security-groups-handlers.js';
import { VpcsService } from '../gen/kumo/v1/vpcs.js';
import { TagsService } from '../gen/kumo/v1/tags.js';
import { tagsHandlers } from './tags-handlers.js';
import { vpcsHandlers } from './vpcs-handlers.js';
import { VolumesService } from '../gen/kumo/v1/volumes.js';
import { SnapshotsService } from '../gen/kumo/v1/snapshots.js';
import { snapshotsHandlers } from './snapshots-handlers.js';
import {
  AddressesService,
  InternetGatewaysService,
  RouteTablesService,
} from '../gen/kumo/v1/routing.js';
import {
  addressesHandlers,
  internetGatewaysHandlers,
  routeTablesHandlers,
} from './routing-handlers.js';
import type { ApiContext } from './context.js';
import { instancesHandlers } from './instances-handlers.js';
import {
  hostHandlers,
  imagesHandlers,
  instanceTypesHandlers,
  keyPairsHandlers,
} from './other-handlers.js';
import { addReflection } from './reflection.js';
import { guardRequests, TRANSPORT_MAX_REQUEST_BYTES } from './request-guard.js';
import { volumesHandlers } from './volumes-handlers.js';

/**
 * The gRPC server with every service and server reflection (so grpcurl and friends work).
 * `descriptorSetPath` is the FileDescriptorSet that `buf build --as-file-descriptor-set` wrote
 * for proto/; reflection serves it as it is.
 */
export function createGrpcServer(
  ctx: ApiContext,
  logger: Logger,
  descriptorSetPath: string,
): Server {
  const server = new Server({ 'grpc.max_receive_message_length': TRANSPORT_MAX_REQUEST_BYTES });
  server.addService(guardRequests(InstancesService), instancesHandlers(ctx, logger));
  server.addService(guardRequests(InstanceTypesService), instanceTypesHandlers(ctx, logger));
  server.addService(guardRequests(ImagesService), imagesHandlers(ctx, logger));
  server.addService(guardRequests(KeyPairsService), keyPairsHandlers(ctx, logger));
  server.addService(guardRequests(HostService), hostHandlers(ctx, logger));
  server.addService(guardRequests(SecurityGroupsService), securityGroupsHandlers(ctx, logger));
  server.addService(guardRequests(VolumesService), volumesHandlers(ctx, logger));
  server.addService(guardRequests(SnapshotsService), snapshotsHandlers(ctx, logger));
  server.addService(guardRequests(VpcsService), vpcsHandlers(ctx, logger));
  server.addService(guardRequests(InternetGatewaysService), internetGatewaysHandlers(ctx, logger));
  server.addService(guardRequests(RouteTablesService), routeTablesHandlers(ctx, logger));
  server.addService(guardRequests(AddressesService), addressesHandlers(ctx, logger));
  server.addService(guardRequests(TagsService), tagsHandlers(ctx, logger));
  addReflection(server, descriptorSetPath, logger);
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
