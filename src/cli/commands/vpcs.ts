import type { Command } from 'commander';
import {
  CreateSubnetRequest,
  CreateVpcRequest,
  DeleteSubnetRequest,
  DeleteVpcRequest,
  DescribeAvailabilityZonesRequest,
  DescribeRegionsRequest,
  DescribeSubnetsRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcsRequest,
  ModifySubnetAttributeRequest,
  ModifyVpcAttributeRequest,
} from '../../gen/kumo/v1/vpcs.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import {
  ATTRIBUTE_BOOLEAN_VALUE,
  BOOLEAN,
  enumOf,
  FILTERS,
  STRING,
  STRING_LIST,
  tagSpecifications,
  type InputMember,
} from '../request-shapes.js';
import { parseFilters, parseTagSpecifications } from '../structured-params.js';

const VPC_ID: InputMember = { name: 'VpcId', shape: STRING, option: 'vpcId' };
const SUBNET_ID: InputMember = { name: 'SubnetId', shape: STRING, option: 'subnetId' };
const FILTERS_MEMBER: InputMember = { name: 'Filters', shape: FILTERS, option: 'filters' };
/** aws-cli turns EC2's AttributeBooleanValue members into --flag / --no-flag pairs. */
const boolValue = (name: string, option: string): InputMember => ({
  name,
  shape: ATTRIBUTE_BOOLEAN_VALUE,
  option,
  toOption: (v) => (v as { Value?: boolean } | undefined)?.Value === true,
});
const wrapped = (v: boolean | undefined) => (v === undefined ? undefined : { value: v });

/** create/describe/delete-vpc(s), modify/describe-vpc-attribute. */
function registerVpcCommands(program: Command, ctx: CliContext): void {
  const client = () => ctx.clients.vpcs;

  const create = withCliInput(program.command('create-vpc'), {
    operation: 'CreateVpc',
    members: [
      { name: 'CidrBlock', shape: STRING, option: 'cidrBlock' },
      { name: 'TagSpecifications', shape: tagSpecifications('vpc'), option: 'tagSpecifications' },
      DRY_RUN,
      { name: 'InstanceTenancy', shape: enumOf('default'), option: 'instanceTenancy' },
    ],
  })
    .description('Create a VPC: its own address space and router (EC2 CreateVpc)')
    .requiredOption('--cidr-block <cidr>', 'IPv4 block, /16 to /28, e.g. 10.0.0.0/16')
    .option('--instance-tenancy <tenancy>', "only 'default'")
    .option('--tag-specifications <spec...>', 'ResourceType=vpc,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(create).action(
    async (o: {
      cidrBlock: string;
      instanceTenancy?: string;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = client();
      const request = CreateVpcRequest.fromPartial({
        cidrBlock: o.cidrBlock,
        instanceTenancy: o.instanceTenancy ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      ctx.print('CreateVpc', await ctx.call('CreateVpc', c.createVpc.bind(c), request));
    },
  );

  const describe = withCliInput(program.command('describe-vpcs'), {
    operation: 'DescribeVpcs',
    members: [
      FILTERS_MEMBER,
      { name: 'VpcIds', shape: STRING_LIST, option: 'vpcIds' },
      NEXT_TOKEN,
      MAX_RESULTS,
      DRY_RUN,
    ],
  })
    .description('Describe VPCs (EC2 DescribeVpcs)')
    .option('--vpc-ids <ids...>', 'VPC ids')
    .option('--filters <filter...>', 'Name=cidr,Values=10.0.0.0/16 or JSON');
  withPagingOptions(withDryRun(describe), 'VPCs').action(
    async (o: { vpcIds?: string[]; filters?: string[]; dryRun?: boolean }, command: Command) => {
      const c = client();
      const request = {
        vpcIds: o.vpcIds ?? [],
        filters: parseFilters(o.filters),
        dryRun: isDryRun(o),
      };
      await callPaged(ctx, command, PAGINATORS.DescribeVpcs, (page) =>
        ctx.call(
          'DescribeVpcs',
          c.describeVpcs.bind(c),
          DescribeVpcsRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );

  const remove = withCliInput(program.command('delete-vpc'), {
    operation: 'DeleteVpc',
    members: [VPC_ID, DRY_RUN],
  })
    .description('Delete an empty VPC (EC2 DeleteVpc); prints nothing')
    .requiredOption('--vpc-id <id>', 'VPC id');
  withDryRun(remove).action(async (o: { vpcId: string; dryRun?: boolean }) => {
    const c = client();
    const request = DeleteVpcRequest.fromPartial({ vpcId: o.vpcId, dryRun: isDryRun(o) });
    await ctx.call('DeleteVpc', c.deleteVpc.bind(c), request);
  });

  withCliInput(program.command('modify-vpc-attribute'), {
    operation: 'ModifyVpcAttribute',
    members: [
      boolValue('EnableDnsHostnames', 'enableDnsHostnames'),
      boolValue('EnableDnsSupport', 'enableDnsSupport'),
      VPC_ID,
    ],
  })
    .description("Turn a VPC's DNS resolution or DNS hostnames on or off (EC2 ModifyVpcAttribute)")
    .requiredOption('--vpc-id <id>', 'VPC id')
    .option('--enable-dns-support', 'instances may use the VPC resolver')
    .option('--no-enable-dns-support', 'no VPC resolver')
    .option('--enable-dns-hostnames', 'DHCP hands instances their private DNS host names')
    .option('--no-enable-dns-hostnames', 'no host names from DHCP')
    .action(
      async (o: { vpcId: string; enableDnsSupport?: boolean; enableDnsHostnames?: boolean }) => {
        const c = client();
        const request = ModifyVpcAttributeRequest.fromPartial({
          vpcId: o.vpcId,
          enableDnsSupport: wrapped(o.enableDnsSupport),
          enableDnsHostnames: wrapped(o.enableDnsHostnames),
        });
        await ctx.call('ModifyVpcAttribute', c.modifyVpcAttribute.bind(c), request);
      },
    );

  const attr = withCliInput(program.command('describe-vpc-attribute'), {
    operation: 'DescribeVpcAttribute',
    members: [
      { name: 'Attribute', shape: enumOf('enableDnsSupport'), option: 'attribute' },
      VPC_ID,
      DRY_RUN,
    ],
  })
    .description("Show one of a VPC's attributes (EC2 DescribeVpcAttribute)")
    .requiredOption('--vpc-id <id>', 'VPC id')
    .requiredOption('--attribute <name>', 'enableDnsSupport or enableDnsHostnames');
  withDryRun(attr).action(async (o: { vpcId: string; attribute: string; dryRun?: boolean }) => {
    const c = client();
    const request = DescribeVpcAttributeRequest.fromPartial({
      vpcId: o.vpcId,
      attribute: o.attribute,
      dryRun: isDryRun(o),
    });
    ctx.print(
      'DescribeVpcAttribute',
      await ctx.call('DescribeVpcAttribute', c.describeVpcAttribute.bind(c), request),
    );
  });
}

/** create/describe/delete-subnet(s), modify-subnet-attribute. */
function registerSubnetCommands(program: Command, ctx: CliContext): void {
  const client = () => ctx.clients.vpcs;

  const create = withCliInput(program.command('create-subnet'), {
    operation: 'CreateSubnet',
    members: [
      {
        name: 'TagSpecifications',
        shape: tagSpecifications('subnet'),
        option: 'tagSpecifications',
      },
      { name: 'AvailabilityZone', shape: STRING, option: 'availabilityZone' },
      { name: 'CidrBlock', shape: STRING, option: 'cidrBlock' },
      VPC_ID,
      DRY_RUN,
    ],
  })
    .description('Create a subnet in a VPC (EC2 CreateSubnet)')
    .requiredOption('--vpc-id <id>', 'VPC id')
    .requiredOption('--cidr-block <cidr>', "IPv4 block inside the VPC's, /16 to /28")
    .option('--availability-zone <zone>', "zone (default: the host's zone)")
    .option('--tag-specifications <spec...>', 'ResourceType=subnet,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(create).action(
    async (o: {
      vpcId: string;
      cidrBlock: string;
      availabilityZone?: string;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = client();
      const request = CreateSubnetRequest.fromPartial({
        vpcId: o.vpcId,
        cidrBlock: o.cidrBlock,
        availabilityZone: o.availabilityZone ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      ctx.print('CreateSubnet', await ctx.call('CreateSubnet', c.createSubnet.bind(c), request));
    },
  );

  const describe = withCliInput(program.command('describe-subnets'), {
    operation: 'DescribeSubnets',
    members: [
      FILTERS_MEMBER,
      { name: 'SubnetIds', shape: STRING_LIST, option: 'subnetIds' },
      NEXT_TOKEN,
      MAX_RESULTS,
      DRY_RUN,
    ],
  })
    .description('Describe subnets (EC2 DescribeSubnets)')
    .option('--subnet-ids <ids...>', 'subnet ids')
    .option('--filters <filter...>', 'Name=vpc-id,Values=vpc-… or JSON');
  withPagingOptions(withDryRun(describe), 'subnets').action(
    async (o: { subnetIds?: string[]; filters?: string[]; dryRun?: boolean }, command: Command) => {
      const c = client();
      const request = {
        subnetIds: o.subnetIds ?? [],
        filters: parseFilters(o.filters),
        dryRun: isDryRun(o),
      };
      await callPaged(ctx, command, PAGINATORS.DescribeSubnets, (page) =>
        ctx.call(
          'DescribeSubnets',
          c.describeSubnets.bind(c),
          DescribeSubnetsRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );

  const remove = withCliInput(program.command('delete-subnet'), {
    operation: 'DeleteSubnet',
    members: [SUBNET_ID, DRY_RUN],
  })
    .description('Delete a subnet no instance is in (EC2 DeleteSubnet); prints nothing')
    .requiredOption('--subnet-id <id>', 'subnet id');
  withDryRun(remove).action(async (o: { subnetId: string; dryRun?: boolean }) => {
    const c = client();
    const request = DeleteSubnetRequest.fromPartial({ subnetId: o.subnetId, dryRun: isDryRun(o) });
    await ctx.call('DeleteSubnet', c.deleteSubnet.bind(c), request);
  });

  withCliInput(program.command('modify-subnet-attribute'), {
    operation: 'ModifySubnetAttribute',
    members: [boolValue('MapPublicIpOnLaunch', 'mapPublicIpOnLaunch'), SUBNET_ID],
  })
    .description('Set whether launches in a subnet get a public IP (EC2 ModifySubnetAttribute)')
    .requiredOption('--subnet-id <id>', 'subnet id')
    .option('--map-public-ip-on-launch', 'instances get a public IP unless they ask otherwise')
    .option('--no-map-public-ip-on-launch', 'instances get none unless they ask')
    .action(async (o: { subnetId: string; mapPublicIpOnLaunch?: boolean }) => {
      const c = client();
      const request = ModifySubnetAttributeRequest.fromPartial({
        subnetId: o.subnetId,
        mapPublicIpOnLaunch: o.mapPublicIpOnLaunch,
      });
      await ctx.call('ModifySubnetAttribute', c.modifySubnetAttribute.bind(c), request);
    });
}

/** describe-availability-zones, describe-regions: what this host offers. */
function registerPlacementCommands(program: Command, ctx: CliContext): void {
  const client = () => ctx.clients.vpcs;
  const zones = withCliInput(program.command('describe-availability-zones'), {
    operation: 'DescribeAvailabilityZones',
    members: [
      { name: 'ZoneNames', shape: STRING_LIST, option: 'zoneNames' },
      { name: 'ZoneIds', shape: STRING_LIST, option: 'zoneIds' },
      { name: 'AllAvailabilityZones', shape: BOOLEAN, option: 'allAvailabilityZones' },
      DRY_RUN,
      FILTERS_MEMBER,
    ],
  })
    .description("Describe the host's availability zone (EC2 DescribeAvailabilityZones)")
    .option('--zone-names <names...>', 'zone names')
    .option('--zone-ids <ids...>', 'zone ids')
    .option('--all-availability-zones', 'accepted: this host has one zone')
    .option('--no-all-availability-zones', 'accepted')
    .option('--filters <filter...>', 'Name=zone-name,Values=… or JSON');
  withDryRun(zones).action(
    async (o: {
      zoneNames?: string[];
      zoneIds?: string[];
      allAvailabilityZones?: boolean;
      filters?: string[];
      dryRun?: boolean;
    }) => {
      const c = client();
      const request = DescribeAvailabilityZonesRequest.fromPartial({
        zoneNames: o.zoneNames ?? [],
        zoneIds: o.zoneIds ?? [],
        allAvailabilityZones: o.allAvailabilityZones === true,
        filters: parseFilters(o.filters),
        dryRun: isDryRun(o),
      });
      ctx.print(
        'DescribeAvailabilityZones',
        await ctx.call('DescribeAvailabilityZones', c.describeAvailabilityZones.bind(c), request),
      );
    },
  );

  const regions = withCliInput(program.command('describe-regions'), {
    operation: 'DescribeRegions',
    members: [
      { name: 'RegionNames', shape: STRING_LIST, option: 'regionNames' },
      { name: 'AllRegions', shape: BOOLEAN, option: 'allRegions' },
      DRY_RUN,
      FILTERS_MEMBER,
    ],
  })
    .description("Describe the host's region (EC2 DescribeRegions)")
    .option('--region-names <names...>', 'region names')
    .option('--all-regions', 'accepted: this host is one region')
    .option('--no-all-regions', 'accepted')
    .option('--filters <filter...>', 'Name=region-name,Values=… or JSON');
  withDryRun(regions).action(
    async (o: {
      regionNames?: string[];
      allRegions?: boolean;
      filters?: string[];
      dryRun?: boolean;
    }) => {
      const c = client();
      const request = DescribeRegionsRequest.fromPartial({
        regionNames: o.regionNames ?? [],
        allRegions: o.allRegions === true,
        filters: parseFilters(o.filters),
        dryRun: isDryRun(o),
      });
      ctx.print(
        'DescribeRegions',
        await ctx.call('DescribeRegions', c.describeRegions.bind(c), request),
      );
    },
  );
}

/** The VPC family: VPCs, subnets, zones and regions. */
export function registerVpcFamilyCommands(program: Command, ctx: CliContext): void {
  registerVpcCommands(program, ctx);
  registerSubnetCommands(program, ctx);
  registerPlacementCommands(program, ctx);
}
