import { NETWORK_INTERFACES_SHAPE, parseNetworkInterfaces } from '../network-interfaces-param.js';
import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import {
  DescribeInstancesRequest,
  GetConsoleOutputRequest,
  RunInstancesRequest,
} from '../../gen/kumo/v1/instances.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import {
  BLOCK_DEVICE_MAPPINGS,
  BOOLEAN,
  enumOf,
  FILTERS,
  INTEGER,
  STRING,
  STRING_LIST,
  tagSpecifications,
  type CommandInput,
} from '../request-shapes.js';
import {
  parseBlockDeviceMappings,
  parseCount,
  parseFilters,
  parseTagSpecifications,
} from '../structured-params.js';
import { loadUserData } from '../user-data.js';
import { METADATA_OPTIONS_SHAPE, parseMetadataOptions } from './instance-metadata-options.js';

/** RunInstances waits for disks and networking to be prepared, so it gets a longer deadline. */
const RUN_INSTANCES_DEADLINE_MS = 300_000;

interface RunOptions {
  imageId?: string;
  instanceType: string;
  keyName?: string;
  count: string;
  /** Text or a file:// reference from the command line; the bytes themselves from JSON input. */
  userData?: string | Buffer;
  clientToken?: string;
  tagSpecifications?: string[];
  subnetId?: string;
  securityGroupIds?: string[];
  securityGroups?: string[];
  blockDeviceMappings?: string[];
  privateIpAddress?: string;
  networkInterfaces?: string[];
  metadataOptions?: string;
  cloudInitSeed?: string;
  dryRun?: boolean;
}

/** --count N:M from MinCount and MaxCount; kumod fills in the one that is missing. */
function countOf(input: Readonly<Record<string, unknown>>): string {
  const min = typeof input.MinCount === 'number' ? input.MinCount : 0;
  const max = typeof input.MaxCount === 'number' ? input.MaxCount : 0;
  return `${min}:${max}`;
}

const RUN_INSTANCES_INPUT: CommandInput = {
  operation: 'RunInstances',
  members: [
    { name: 'BlockDeviceMappings', shape: BLOCK_DEVICE_MAPPINGS, option: 'blockDeviceMappings' },
    { name: 'ImageId', shape: STRING, option: 'imageId' },
    { name: 'InstanceType', shape: enumOf('t3.micro'), option: 'instanceType' },
    { name: 'KeyName', shape: STRING, option: 'keyName' },
    { name: 'MaxCount', shape: INTEGER, option: 'count', toOption: (_v, input) => countOf(input) },
    { name: 'MinCount', shape: INTEGER, option: 'count', toOption: (_v, input) => countOf(input) },
    { name: 'SecurityGroupIds', shape: STRING_LIST, option: 'securityGroupIds' },
    { name: 'SecurityGroups', shape: STRING_LIST, option: 'securityGroups' },
    { name: 'SubnetId', shape: STRING, option: 'subnetId' },
    // JSON carries the user data itself: no file:// lookup (aws takes it literally too).
    {
      name: 'UserData',
      shape: STRING,
      option: 'userData',
      toOption: (v) => Buffer.from(String(v)),
    },
    {
      name: 'TagSpecifications',
      shape: tagSpecifications('instance'),
      option: 'tagSpecifications',
    },
    {
      name: 'MetadataOptions',
      shape: METADATA_OPTIONS_SHAPE,
      option: 'metadataOptions',
      toOption: (v) => JSON.stringify(v),
    },
    DRY_RUN,
    { name: 'PrivateIpAddress', shape: STRING, option: 'privateIpAddress' },
    { name: 'ClientToken', shape: STRING, option: 'clientToken' },
    { name: 'NetworkInterfaces', shape: NETWORK_INTERFACES_SHAPE, option: 'networkInterfaces' },
  ],
};

const DESCRIBE_INSTANCES_INPUT: CommandInput = {
  operation: 'DescribeInstances',
  members: [
    { name: 'InstanceIds', shape: STRING_LIST, option: 'instanceIds' },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
    NEXT_TOKEN,
    MAX_RESULTS,
  ],
};

/** run-instances, describe-instances, get-console-output. */
export function registerInstanceCommands(program: Command, ctx: CliContext): void {
  const run = withCliInput(program.command('run-instances'), RUN_INSTANCES_INPUT)
    .description('Launch instances (EC2 RunInstances); prints the reservation')
    .option('--image-id <id>', "image to launch (default: the daemon's default image)")
    .option('--instance-type <type>', 'instance type', 't3.micro')
    .option('--key-name <name>', 'key pair whose public key the guest accepts')
    .option('--count <n>', 'how many: N or MIN:MAX', '1')
    .option('--user-data <data>', 'user data: literal text, file://path (text) or fileb://path')
    .option('--client-token <token>', 'idempotency token (default: a new UUID, as aws-cli sends)')
    .option(
      '--tag-specifications <spec...>',
      'ResourceType=instance,Tags=[{Key=k,Value=v}] or JSON',
    )
    .option('--subnet-id <id>', 'subnet to launch into (default: the default subnet)')
    .option('--security-group-ids <ids...>', "security groups (default: the VPC's default group)")
    .option('--security-groups <names...>', 'security groups by name (default VPC only)')
    .option('--private-ip-address <ip>', 'fixed private address in the subnet (one instance)')
    .option(
      '--network-interfaces <spec...>',
      'DeviceIndex=0,SubnetId=ID,PrivateIpAddress=IP,Groups=sg-1,AssociatePublicIpAddress=true or JSON',
    )
    .option(
      '--block-device-mappings <mapping...>',
      'root volume: DeviceName=/dev/vda,Ebs={VolumeSize=4,DeleteOnTermination=false} or JSON',
    )
    .option(
      '--metadata-options <options>',
      'metadata service: HttpTokens=required,HttpEndpoint=enabled,HttpPutResponseHopLimit=2,InstanceMetadataTags=enabled or JSON',
    )
    .addOption(
      new Option(
        '--cloud-init-seed <seed>',
        'kumo extension: nocloud attaches a NoCloud seed (a read-only cidata disk) for cloud-init; default none',
      ).choices(['none', 'nocloud']),
    );
  withDryRun(run).action(async (o: RunOptions) => {
    const request = RunInstancesRequest.fromPartial({
      imageId: o.imageId ?? '',
      instanceType: o.instanceType,
      keyName: o.keyName ?? '',
      ...parseCount(o.count),
      userData: o.userData === undefined ? Buffer.alloc(0) : loadUserData(o.userData),
      // One token per invocation, as aws-cli generates for idempotency tokens: a retry of this
      // request (grpc-js resends the same message) cannot launch a second reservation.
      clientToken: o.clientToken ?? randomUUID(),
      tagSpecifications: parseTagSpecifications(o.tagSpecifications),
      subnetId: o.subnetId ?? '',
      securityGroupIds: o.securityGroupIds ?? [],
      securityGroups: o.securityGroups ?? [],
      blockDeviceMappings: parseBlockDeviceMappings(o.blockDeviceMappings),
      privateIpAddress: o.privateIpAddress ?? '',
      networkInterfaces: parseNetworkInterfaces(o.networkInterfaces),
      metadataOptions: parseMetadataOptions(o.metadataOptions),
      cloudInitSeed: o.cloudInitSeed ?? '',
      dryRun: isDryRun(o),
    });
    const c = ctx.clients.instances;
    const res = await ctx.call(
      'RunInstances',
      c.runInstances.bind(c),
      request,
      RUN_INSTANCES_DEADLINE_MS,
    );
    // EC2 answers RunInstances with the reservation itself, not wrapped.
    ctx.print('RunInstances', res.reservation ?? {});
  });

  const describe = withCliInput(program.command('describe-instances'), DESCRIBE_INSTANCES_INPUT)
    .description('Describe instances (EC2 DescribeInstances); every page unless --no-paginate')
    .option('--instance-ids <ids...>', 'instance ids')
    .option('--filters <filter...>', 'Name=instance-state-name,Values=running,stopped or JSON');
  withPagingOptions(describe, 'reservations').action(
    async (o: { instanceIds?: string[]; filters?: string[] }, command: Command) => {
      const c = ctx.clients.instances;
      const request = { instanceIds: o.instanceIds ?? [], filters: parseFilters(o.filters) };
      await callPaged(ctx, command, PAGINATORS.DescribeInstances, (page) =>
        ctx.call(
          'DescribeInstances',
          c.describeInstances.bind(c),
          DescribeInstancesRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );

  const consoleInput: CommandInput = {
    operation: 'GetConsoleOutput',
    members: [
      { name: 'InstanceId', shape: STRING, option: 'instanceId' },
      { name: 'Latest', shape: BOOLEAN, option: 'latest' },
    ],
  };
  withCliInput(program.command('get-console-output'), consoleInput)
    .description("Show an instance's serial console (EC2 GetConsoleOutput)")
    .requiredOption('--instance-id <id>', 'instance id')
    .option('--latest', 'the most recent output (kumo always returns the latest 64 KiB)')
    .option('--no-latest', 'accepted, as --latest: kumo has only the latest output')
    .action(async (o: { instanceId: string }) => {
      const request = GetConsoleOutputRequest.fromPartial({ instanceId: o.instanceId });
      const c = ctx.clients.instances;
      const res = await ctx.call('GetConsoleOutput', c.getConsoleOutput.bind(c), request);
      // With --output text, the console itself is what anyone wants to read.
      ctx.print('GetConsoleOutput', res, () =>
        res.output === '' || res.output.endsWith('\n') ? res.output : `${res.output}\n`,
      );
    });
}
