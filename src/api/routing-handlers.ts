import { validateTagSpecifications } from '../compute/tag-specifications.js';
import { dryRunOperation, invalidParameter, unavailable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type {
  AddressesServer,
  InternetGatewaysServer,
  RouteTablesServer,
} from '../gen/kumo/v1/routing.js';
import type { ApiContext, RoutingApi } from './context.js';
import { toFilters, toTagSpecs } from './convert.js';
import { paginate, PAGE_LIMITS } from './pagination.js';
import {
  addressToProto,
  filterAddresses,
  filterGateways,
  filterRouteTables,
  gatewayToProto,
  routeTableToProto,
  type RouteContext,
} from './routing-view.js';
import { unary } from './unary.js';

const byId =
  <T>(id: (x: T) => string) =>
  (a: T, b: T) =>
    id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0;

function routingOf(ctx: ApiContext): RoutingApi {
  if (!ctx.routing) throw unavailable('This kumod has no routing service');
  return ctx.routing;
}

const required = (value: string, name: string): string => {
  if (!value)
    throw invalidParameter(`The request must contain the parameter ${name}`, 'MissingParameter');
  return value;
};

/** The InternetGateways service: EC2's internet-gateway calls. */
export function internetGatewaysHandlers(ctx: ApiContext, logger: Logger): InternetGatewaysServer {
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const gw = () => routingOf(ctx).gateways;
  return {
    createInternetGateway: handle('CreateInternetGateway', logger, (req) => {
      const tags = validateTagSpecifications(toTagSpecs(req.tagSpecifications), [
        'internet-gateway',
      ]);
      return { internetGateway: gatewayToProto(gw().create(tags, req.dryRun)) };
    }),
    attachInternetGateway: handle('AttachInternetGateway', logger, async (req) => {
      await gw().attach(
        required(req.internetGatewayId, 'internetGatewayId'),
        required(req.vpcId, 'vpcId'),
        req.dryRun,
      );
      return {};
    }),
    detachInternetGateway: handle('DetachInternetGateway', logger, async (req) => {
      await gw().detach(
        required(req.internetGatewayId, 'internetGatewayId'),
        required(req.vpcId, 'vpcId'),
        req.dryRun,
      );
      return {};
    }),
    deleteInternetGateway: handle('DeleteInternetGateway', logger, (req) => {
      gw().delete(required(req.internetGatewayId, 'internetGatewayId'), req.dryRun);
      return {};
    }),
    describeInternetGateways: handle('DescribeInternetGateways', logger, (req) => {
      const found = filterGateways(gw().find(req.internetGatewayIds), toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeInternetGateways,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.internetGatewayIds.length,
          query: [req.internetGatewayIds, req.filters],
        },
        [...found].sort(byId((g) => g.id)),
        (g) => g.id,
      );
      return { internetGateways: page.map(gatewayToProto), nextToken };
    }),
  };
}

/** The RouteTables service: EC2's route-table calls. */
export function routeTablesHandlers(ctx: ApiContext, logger: Logger): RouteTablesServer {
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const rt = () => routingOf(ctx).routeTables;
  const view = (): RouteContext => {
    const r = routingOf(ctx);
    return {
      state: r.routeState,
      interfaceOf: r.interfaceOf,
    };
  };
  const target = (req: { gatewayId: string; instanceId: string }) => ({
    gatewayId: req.gatewayId || undefined,
    instanceId: req.instanceId || undefined,
  });
  return {
    createRouteTable: handle('CreateRouteTable', logger, (req) => {
      const tags = validateTagSpecifications(toTagSpecs(req.tagSpecifications), ['route-table']);
      const t = rt().create(required(req.vpcId, 'vpcId'), tags, req.dryRun);
      return { routeTable: routeTableToProto(t, view()) };
    }),
    deleteRouteTable: handle('DeleteRouteTable', logger, async (req) => {
      await rt().delete(required(req.routeTableId, 'routeTableId'), req.dryRun);
      return {};
    }),
    describeRouteTables: handle('DescribeRouteTables', logger, (req) => {
      const found = filterRouteTables(rt().find(req.routeTableIds), toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeRouteTables,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.routeTableIds.length,
          query: [req.routeTableIds, req.filters],
        },
        [...found].sort(byId((t) => t.id)),
        (t) => t.id,
      );
      const v = view();
      return { routeTables: page.map((t) => routeTableToProto(t, v)), nextToken };
    }),
    createRoute: handle('CreateRoute', logger, async (req) => {
      await rt().createRoute(
        required(req.routeTableId, 'routeTableId'),
        required(req.destinationCidrBlock, 'destinationCidrBlock'),
        target(req),
        req.dryRun,
      );
      return { return: true };
    }),
    replaceRoute: handle('ReplaceRoute', logger, async (req) => {
      await rt().replaceRoute(
        required(req.routeTableId, 'routeTableId'),
        required(req.destinationCidrBlock, 'destinationCidrBlock'),
        target(req),
        req.dryRun,
      );
      return {};
    }),
    deleteRoute: handle('DeleteRoute', logger, async (req) => {
      await rt().deleteRoute(
        required(req.routeTableId, 'routeTableId'),
        required(req.destinationCidrBlock, 'destinationCidrBlock'),
        req.dryRun,
      );
      return {};
    }),
    associateRouteTable: handle('AssociateRouteTable', logger, async (req) => {
      const associationId = await rt().associate(
        required(req.routeTableId, 'routeTableId'),
        required(req.subnetId, 'subnetId'),
        req.dryRun,
      );
      return { associationId, associationState: { state: 'associated' } };
    }),
    disassociateRouteTable: handle('DisassociateRouteTable', logger, async (req) => {
      await rt().disassociate(required(req.associationId, 'associationId'), req.dryRun);
      return {};
    }),
    replaceRouteTableAssociation: handle('ReplaceRouteTableAssociation', logger, async (req) => {
      const newAssociationId = await rt().replaceAssociation(
        required(req.associationId, 'associationId'),
        required(req.routeTableId, 'routeTableId'),
        req.dryRun,
      );
      return { newAssociationId, associationState: { state: 'associated' } };
    }),
  };
}

/** The Addresses service: EC2's elastic-IP calls. */
export function addressesHandlers(ctx: ApiContext, logger: Logger): AddressesServer {
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const eip = () => routingOf(ctx).addresses;
  return {
    allocateAddress: handle('AllocateAddress', logger, (req) => {
      const tags = validateTagSpecifications(toTagSpecs(req.tagSpecifications), ['elastic-ip']);
      const a = eip().allocate(req.domain, tags, req.dryRun);
      return {
        publicIp: a.publicIp,
        allocationId: a.allocationId,
        publicIpv4Pool: 'amazon',
        networkBorderGroup: '',
        domain: 'vpc',
      };
    }),
    associateAddress: handle('AssociateAddress', logger, async (req) => {
      const associationId = await eip().associate({
        allocationId: required(req.allocationId, 'allocationId'),
        instanceId: req.instanceId || undefined,
        networkInterfaceId: req.networkInterfaceId || undefined,
        privateIpAddress: req.privateIpAddress || undefined,
        allowReassociation: req.allowReassociation,
        dryRun: req.dryRun,
      });
      return { associationId };
    }),
    disassociateAddress: handle('DisassociateAddress', logger, async (req) => {
      await eip().disassociate(required(req.associationId, 'associationId'), req.dryRun);
      return {};
    }),
    releaseAddress: handle('ReleaseAddress', logger, (req) => {
      eip().release(required(req.allocationId, 'allocationId'), req.dryRun);
      return {};
    }),
    describeAddresses: handle('DescribeAddresses', logger, (req) => {
      const found = filterAddresses(
        eip().find(req.allocationIds, req.publicIps),
        toFilters(req.filters),
      );
      if (req.dryRun) throw dryRunOperation();
      return { addresses: [...found].sort(byId((a) => a.allocationId)).map(addressToProto) };
    }),
  };
}
