import { validateTagSpecifications } from '../compute/tag-specifications.js';
import { dryRunOperation, invalidParameter, quoted } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { VpcsServer } from '../gen/kumo/v1/vpcs.js';
import type { ApiContext } from './context.js';
import { toFilters, toTagSpecs } from './convert.js';
import { paginate, PAGE_LIMITS } from './pagination.js';
import { DEFAULT_SITE } from './site.js';
import { unary } from './unary.js';
import {
  filterRegions,
  filterSubnets,
  filterVpcs,
  filterZones,
  regionToProto,
  subnetToProto,
  vpcToProto,
  zoneToProto,
} from './vpc-view.js';

const byId =
  <T>(id: (x: T) => string) =>
  (a: T, b: T) =>
    id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0;

/** The Vpcs service: EC2's VPC, subnet, zone and region calls over the network domain. */
export function vpcsHandlers(ctx: ApiContext, logger: Logger): VpcsServer {
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const site = ctx.site ?? DEFAULT_SITE;
  const { vpcs, subnets } = ctx;
  return {
    createVpc: handle('CreateVpc', logger, async (req) => {
      const vpcTags = validateTagSpecifications(toTagSpecs(req.tagSpecifications), ['vpc']);
      if (req.instanceTenancy && req.instanceTenancy !== 'default') {
        throw invalidParameter(
          `Value (${quoted(req.instanceTenancy)}) for parameter instanceTenancy is invalid: kumo has only 'default' tenancy`,
        );
      }
      const vpc = await vpcs.create({
        cidrBlock: req.cidrBlock,
        tags: vpcTags,
        dryRun: req.dryRun,
      });
      return { vpc: vpcToProto(vpc) };
    }),
    describeVpcs: handle('DescribeVpcs', logger, (req) => {
      const found = filterVpcs(vpcs.find(req.vpcIds), toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeVpcs,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.vpcIds.length,
          query: [req.vpcIds, req.filters],
        },
        [...found].sort(byId((v) => v.id)),
        (v) => v.id,
      );
      return { vpcs: page.map(vpcToProto), nextToken };
    }),
    deleteVpc: handle('DeleteVpc', logger, async (req) => {
      await vpcs.delete(req.vpcId, req.dryRun);
      return {};
    }),
    modifyVpcAttribute: handle('ModifyVpcAttribute', logger, async (req) => {
      await vpcs.modifyAttribute(req.vpcId, {
        enableDnsSupport: req.enableDnsSupport?.value,
        enableDnsHostnames: req.enableDnsHostnames?.value,
      });
      return {};
    }),
    describeVpcAttribute: handle('DescribeVpcAttribute', logger, (req) => {
      const { vpc, value } = vpcs.describeAttribute(req.vpcId, req.attribute);
      if (req.dryRun) throw dryRunOperation();
      return {
        vpcId: vpc.id,
        enableDnsSupport: req.attribute === 'enableDnsSupport' ? { value } : undefined,
        enableDnsHostnames: req.attribute === 'enableDnsHostnames' ? { value } : undefined,
      };
    }),
    createSubnet: handle('CreateSubnet', logger, (req) => {
      const subnetTags = validateTagSpecifications(toTagSpecs(req.tagSpecifications), ['subnet']);
      const subnet = subnets.create({
        vpcId: req.vpcId,
        cidrBlock: req.cidrBlock,
        availabilityZone: req.availabilityZone || undefined,
        tags: subnetTags,
        dryRun: req.dryRun,
      });
      const view = subnets.find([subnet.id])[0];
      if (!view) throw new Error(`subnet ${subnet.id} vanished`);
      return { subnet: subnetToProto(view, site) };
    }),
    describeSubnets: handle('DescribeSubnets', logger, (req) => {
      const found = filterSubnets(subnets.find(req.subnetIds), toFilters(req.filters), site);
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeSubnets,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.subnetIds.length,
          query: [req.subnetIds, req.filters],
        },
        [...found].sort(byId((x) => x.subnet.id)),
        (x) => x.subnet.id,
      );
      return { subnets: page.map((x) => subnetToProto(x, site)), nextToken };
    }),
    deleteSubnet: handle('DeleteSubnet', logger, async (req) => {
      await subnets.delete(req.subnetId, req.dryRun);
      return {};
    }),
    modifySubnetAttribute: handle('ModifySubnetAttribute', logger, (req) => {
      subnets.modifyAttribute(req.subnetId, { mapPublicIpOnLaunch: req.mapPublicIpOnLaunch });
      return {};
    }),
    describeAvailabilityZones: handle('DescribeAvailabilityZones', logger, (req) => {
      const zone = zoneToProto(site);
      for (const name of req.zoneNames) {
        if (name !== zone.zoneName) {
          throw invalidParameter(
            `The zone ${quoted(name)} does not exist; this host offers ${zone.zoneName}`,
          );
        }
      }
      for (const id of req.zoneIds) {
        if (id !== zone.zoneId) {
          throw invalidParameter(
            `The zone id ${quoted(id)} does not exist; this host offers ${zone.zoneId}`,
          );
        }
      }
      const found = filterZones([zone], toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      return { availabilityZones: found };
    }),
    describeRegions: handle('DescribeRegions', logger, (req) => {
      const region = regionToProto(site, ctx.endpoint ?? 'unix:///run/kumo/kumo.sock');
      for (const name of req.regionNames) {
        if (name !== region.regionName) {
          throw invalidParameter(
            `Invalid region: ${quoted(name)}; this host is ${region.regionName}`,
          );
        }
      }
      const found = filterRegions([region], toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      return { regions: found };
    }),
  };
}
