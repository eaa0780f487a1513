import {
  AllocateAddressRequest,
  AssociateAddressRequest,
  AssociateRouteTableRequest,
  AttachInternetGatewayRequest,
  CreateInternetGatewayRequest,
  CreateRouteRequest,
  CreateRouteTableRequest,
  DeleteInternetGatewayRequest,
  DeleteRouteRequest,
  DeleteRouteTableRequest,
  DescribeAddressesRequest,
  DescribeInternetGatewaysRequest,
  DescribeRouteTablesRequest,
  DetachInternetGatewayRequest,
  DisassociateAddressRequest,
  DisassociateRouteTableRequest,
  ReleaseAddressRequest,
  ReplaceRouteRequest,
  ReplaceRouteTableAssociationRequest,
} from '../../gen/kumo/v1/routing.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import {
  FILTER_PARAM,
  registerMappedCommand,
  str,
  tagsParam,
  type MappedCommandSpec,
} from '../mapped-command.js';

const IGW = str('InternetGatewayId', 'internet gateway id (igw-…)', true);
const VPC = str('VpcId', 'VPC id', true);
const RTB = str('RouteTableId', 'route table id (rtb-…)', true);
const DEST = str('DestinationCidrBlock', 'destination IPv4 CIDR, e.g. 0.0.0.0/0', true);
const GATEWAY = str('GatewayId', 'internet gateway id (igw-…)');
const INSTANCE = str('InstanceId', 'instance id (a NAT instance)');

/** Internet gateways, route tables and elastic IPs, as aws-cli names them. */
export function registerRoutingCommands(program: Command, ctx: CliContext): void {
  const igw = (c: CliContext) => c.clients.internetGateways;
  const rtb = (c: CliContext) => c.clients.routeTables;
  const eip = (c: CliContext) => c.clients.addresses;
  const specs: MappedCommandSpec[] = [
    {
      command: 'create-internet-gateway',
      operation: 'CreateInternetGateway',
      description: 'Create an internet gateway, detached (EC2 CreateInternetGateway)',
      params: [tagsParam('internet-gateway'), 'DryRun'],
      call: (c) => [igw(c).createInternetGateway.bind(igw(c)), CreateInternetGatewayRequest],
    },
    {
      command: 'attach-internet-gateway',
      operation: 'AttachInternetGateway',
      description: 'Attach an internet gateway to a VPC (EC2 AttachInternetGateway)',
      params: ['DryRun', IGW, VPC],
      call: (c) => [igw(c).attachInternetGateway.bind(igw(c)), AttachInternetGatewayRequest],
    },
    {
      command: 'detach-internet-gateway',
      operation: 'DetachInternetGateway',
      description: 'Detach an internet gateway from its VPC (EC2 DetachInternetGateway)',
      params: ['DryRun', IGW, VPC],
      call: (c) => [igw(c).detachInternetGateway.bind(igw(c)), DetachInternetGatewayRequest],
    },
    {
      command: 'delete-internet-gateway',
      operation: 'DeleteInternetGateway',
      description: 'Delete a detached internet gateway (EC2 DeleteInternetGateway)',
      params: ['DryRun', IGW],
      call: (c) => [igw(c).deleteInternetGateway.bind(igw(c)), DeleteInternetGatewayRequest],
    },
    {
      command: 'describe-internet-gateways',
      operation: 'DescribeInternetGateways',
      description: 'Describe internet gateways (EC2 DescribeInternetGateways)',
      params: [
        'NextToken',
        'MaxResults',
        'DryRun',
        { name: 'InternetGatewayIds', kind: 'list', help: 'internet gateway ids' },
        FILTER_PARAM,
      ],
      paged: 'DescribeInternetGateways',
      call: (c) => [igw(c).describeInternetGateways.bind(igw(c)), DescribeInternetGatewaysRequest],
    },
    {
      command: 'create-route-table',
      operation: 'CreateRouteTable',
      description: 'Create a route table in a VPC, with its local route (EC2 CreateRouteTable)',
      params: [tagsParam('route-table'), 'DryRun', VPC],
      call: (c) => [rtb(c).createRouteTable.bind(rtb(c)), CreateRouteTableRequest],
    },
    {
      command: 'delete-route-table',
      operation: 'DeleteRouteTable',
      description: 'Delete a route table no subnet uses (EC2 DeleteRouteTable)',
      params: ['DryRun', RTB],
      call: (c) => [rtb(c).deleteRouteTable.bind(rtb(c)), DeleteRouteTableRequest],
    },
    {
      command: 'describe-route-tables',
      operation: 'DescribeRouteTables',
      description: 'Describe route tables (EC2 DescribeRouteTables)',
      params: [
        'NextToken',
        'MaxResults',
        'DryRun',
        { name: 'RouteTableIds', kind: 'list', help: 'route table ids' },
        FILTER_PARAM,
      ],
      paged: 'DescribeRouteTables',
      call: (c) => [rtb(c).describeRouteTables.bind(rtb(c)), DescribeRouteTablesRequest],
    },
    {
      command: 'create-route',
      operation: 'CreateRoute',
      description: 'Add a route to an internet gateway or an instance (EC2 CreateRoute)',
      params: ['DryRun', RTB, DEST, GATEWAY, INSTANCE],
      call: (c) => [rtb(c).createRoute.bind(rtb(c)), CreateRouteRequest],
    },
    {
      command: 'replace-route',
      operation: 'ReplaceRoute',
      description: "Change a route's target (EC2 ReplaceRoute)",
      params: ['DryRun', RTB, DEST, GATEWAY, INSTANCE],
      call: (c) => [rtb(c).replaceRoute.bind(rtb(c)), ReplaceRouteRequest],
    },
    {
      command: 'delete-route',
      operation: 'DeleteRoute',
      description: 'Remove a route (EC2 DeleteRoute)',
      params: ['DryRun', RTB, DEST],
      call: (c) => [rtb(c).deleteRoute.bind(rtb(c)), DeleteRouteRequest],
    },
    {
      command: 'associate-route-table',
      operation: 'AssociateRouteTable',
      description: 'Make a route table the table of a subnet (EC2 AssociateRouteTable)',
      params: ['DryRun', str('SubnetId', 'subnet id', true), RTB],
      call: (c) => [rtb(c).associateRouteTable.bind(rtb(c)), AssociateRouteTableRequest],
    },
    {
      command: 'disassociate-route-table',
      operation: 'DisassociateRouteTable',
      description: 'Return a subnet to its VPC main table (EC2 DisassociateRouteTable)',
      params: ['DryRun', str('AssociationId', 'association id (rtbassoc-…)', true)],
      call: (c) => [rtb(c).disassociateRouteTable.bind(rtb(c)), DisassociateRouteTableRequest],
    },
    {
      command: 'replace-route-table-association',
      operation: 'ReplaceRouteTableAssociation',
      description:
        'Move an association (or the main one) to another table (EC2 ReplaceRouteTableAssociation)',
      params: ['DryRun', str('AssociationId', 'association id (rtbassoc-…)', true), RTB],
      call: (c) => [
        rtb(c).replaceRouteTableAssociation.bind(rtb(c)),
        ReplaceRouteTableAssociationRequest,
      ],
    },
    {
      command: 'allocate-address',
      operation: 'AllocateAddress',
      description: 'Allocate an elastic IP from the public pool (EC2 AllocateAddress)',
      params: [
        { ...str('Domain', 'vpc (the only domain)'), enumExample: 'vpc' },
        tagsParam('elastic-ip'),
        'DryRun',
      ],
      call: (c) => [eip(c).allocateAddress.bind(eip(c)), AllocateAddressRequest],
    },
    {
      command: 'associate-address',
      operation: 'AssociateAddress',
      description: 'Map an elastic IP to an instance (EC2 AssociateAddress)',
      params: [
        str('AllocationId', 'allocation id (eipalloc-…)', true),
        str('InstanceId', 'instance id'),
        'DryRun',
        str('NetworkInterfaceId', 'network interface id (eni-…)'),
        str('PrivateIpAddress', 'private address of the interface'),
        { name: 'AllowReassociation', kind: 'boolean', help: 'move it if already associated' },
      ],
      call: (c) => [eip(c).associateAddress.bind(eip(c)), AssociateAddressRequest],
    },
    {
      command: 'disassociate-address',
      operation: 'DisassociateAddress',
      description: 'Unmap an elastic IP (EC2 DisassociateAddress)',
      params: [str('AssociationId', 'association id (eipassoc-…)', true), 'DryRun'],
      call: (c) => [eip(c).disassociateAddress.bind(eip(c)), DisassociateAddressRequest],
    },
    {
      command: 'release-address',
      operation: 'ReleaseAddress',
      description: 'Give an unassociated elastic IP back to the pool (EC2 ReleaseAddress)',
      params: [str('AllocationId', 'allocation id (eipalloc-…)', true), 'DryRun'],
      call: (c) => [eip(c).releaseAddress.bind(eip(c)), ReleaseAddressRequest],
    },
    {
      command: 'describe-addresses',
      operation: 'DescribeAddresses',
      description: 'Describe elastic IPs (EC2 DescribeAddresses)',
      params: [
        { name: 'PublicIps', kind: 'list', help: 'elastic IPs' },
        'DryRun',
        FILTER_PARAM,
        { name: 'AllocationIds', kind: 'list', help: 'allocation ids' },
      ],
      call: (c) => [eip(c).describeAddresses.bind(eip(c)), DescribeAddressesRequest],
    },
  ];
  for (const spec of specs) registerMappedCommand(program, ctx, spec);
}
