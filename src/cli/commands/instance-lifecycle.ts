import type { Command } from 'commander';
import {
  ModifyInstanceAttributeRequest,
  RebootInstancesRequest,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '../../gen/kumo/v1/instances.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { UsageError } from '../errors.js';
import {
  ATTRIBUTE_BOOLEAN_VALUE,
  ATTRIBUTE_VALUE,
  BOOLEAN,
  enumOf,
  INSTANCE_BLOCK_DEVICE_MAPPINGS,
  STRING,
  STRING_LIST,
  type CommandInput,
  type InputMember,
} from '../request-shapes.js';
import { parseAttributeValue, parseInstanceBlockDeviceMappings } from '../structured-params.js';

interface IdsOptions {
  instanceIds: string[];
  dryRun?: boolean;
}

interface StopOptions extends IdsOptions {
  force?: boolean;
  hibernate?: boolean;
  skipOsShutdown?: boolean;
}

interface TerminateOptions extends IdsOptions {
  force?: boolean;
  skipOsShutdown?: boolean;
}

interface ModifyOptions {
  instanceId: string;
  groups?: string[];
  sourceDestCheck?: boolean | string;
  instanceType?: string;
  blockDeviceMappings?: string[];
  attribute?: string;
  value?: string;
  dryRun?: boolean;
}

const INSTANCE_IDS: InputMember = {
  name: 'InstanceIds',
  shape: STRING_LIST,
  option: 'instanceIds',
};
const idsAndDryRun = (operation: string): CommandInput => ({
  operation,
  members: [INSTANCE_IDS, DRY_RUN],
});

const STOP_INPUT: CommandInput = {
  operation: 'StopInstances',
  members: [
    INSTANCE_IDS,
    { name: 'Hibernate', shape: BOOLEAN, option: 'hibernate' },
    { name: 'SkipOsShutdown', shape: BOOLEAN, option: 'skipOsShutdown' },
    DRY_RUN,
    { name: 'Force', shape: BOOLEAN, option: 'force' },
  ],
};

const TERMINATE_INPUT: CommandInput = {
  operation: 'TerminateInstances',
  members: [
    INSTANCE_IDS,
    { name: 'Force', shape: BOOLEAN, option: 'force' },
    { name: 'SkipOsShutdown', shape: BOOLEAN, option: 'skipOsShutdown' },
    DRY_RUN,
  ],
};

const MODIFY_INPUT: CommandInput = {
  operation: 'ModifyInstanceAttribute',
  members: [
    {
      name: 'SourceDestCheck',
      shape: ATTRIBUTE_BOOLEAN_VALUE,
      option: 'sourceDestCheck',
      toOption: (v) => (v as { Value?: boolean } | undefined)?.Value === true,
    },
    DRY_RUN,
    { name: 'InstanceId', shape: STRING, option: 'instanceId' },
    { name: 'Attribute', shape: enumOf('instanceType'), option: 'attribute' },
    { name: 'Value', shape: STRING, option: 'value' },
    {
      name: 'BlockDeviceMappings',
      shape: INSTANCE_BLOCK_DEVICE_MAPPINGS,
      option: 'blockDeviceMappings',
    },
    { name: 'InstanceType', shape: ATTRIBUTE_VALUE, option: 'instanceType' },
    { name: 'Groups', shape: STRING_LIST, option: 'groups' },
  ],
};

/**
 * Hibernation needs an instance launched for it (EC2's HibernationOptions) and a guest that can
 * suspend to disk; kumo has neither, so --hibernate is refused before kumod is asked rather than
 * quietly doing a plain stop.
 */
const NO_HIBERNATION =
  'kumo instances cannot hibernate (kumo has no hibernation); stop them without --hibernate';

/** start/stop/reboot/terminate-instances and modify-instance-attribute. */
export function registerLifecycleCommands(program: Command, ctx: CliContext): void {
  const ids = '--instance-ids <ids...>';

  const start = withCliInput(program.command('start-instances'), idsAndDryRun('StartInstances'))
    .description('Start stopped instances (EC2 StartInstances)')
    .requiredOption(ids, 'instance ids');
  withDryRun(start).action(async (o: IdsOptions) => {
    const c = ctx.clients.instances;
    const request = StartInstancesRequest.fromPartial({
      instanceIds: o.instanceIds,
      dryRun: isDryRun(o),
    });
    ctx.print(
      'StartInstances',
      await ctx.call('StartInstances', c.startInstances.bind(c), request),
    );
  });

  const stop = withCliInput(program.command('stop-instances'), STOP_INPUT)
    .description('Stop instances (EC2 StopInstances)')
    .requiredOption(ids, 'instance ids')
    .option('--hibernate', 'refused: kumo instances cannot hibernate')
    .option('--no-hibernate', 'a plain stop (the default)');
  withDryRun(stop)
    .option('--force', 'stop at once, without an ACPI power-down')
    .option('--no-force', 'power down the guest first (the default)')
    .option('--skip-os-shutdown', 'stop at once, without an ACPI power-down (as --force)')
    .option('--no-skip-os-shutdown', 'power down the guest first (the default)')
    .action(async (o: StopOptions) => {
      if (o.hibernate === true) throw new UsageError(NO_HIBERNATION);
      const c = ctx.clients.instances;
      const request = StopInstancesRequest.fromPartial({
        instanceIds: o.instanceIds,
        force: o.force === true,
        skipOsShutdown: o.skipOsShutdown === true,
        dryRun: isDryRun(o),
      });
      ctx.print('StopInstances', await ctx.call('StopInstances', c.stopInstances.bind(c), request));
    });

  const reboot = withCliInput(program.command('reboot-instances'), idsAndDryRun('RebootInstances'))
    .description('Reboot instances (EC2 RebootInstances); prints nothing')
    .requiredOption(ids, 'instance ids');
  withDryRun(reboot).action(async (o: IdsOptions) => {
    const c = ctx.clients.instances;
    const request = RebootInstancesRequest.fromPartial({
      instanceIds: o.instanceIds,
      dryRun: isDryRun(o),
    });
    // The empty answer prints nothing, but --query on it gives null, as in aws-cli.
    ctx.print(
      'RebootInstances',
      await ctx.call('RebootInstances', c.rebootInstances.bind(c), request),
    );
  });

  const terminate = withCliInput(program.command('terminate-instances'), TERMINATE_INPUT)
    .description('Terminate instances (EC2 TerminateInstances)')
    .requiredOption(ids, 'instance ids')
    .option('--force', 'accepted; kumo ends the VM at once in any case')
    .option('--no-force', 'the default')
    .option('--skip-os-shutdown', 'accepted; kumo never waits for the guest OS at terminate')
    .option('--no-skip-os-shutdown', 'the default');
  withDryRun(terminate).action(async (o: TerminateOptions) => {
    const c = ctx.clients.instances;
    const request = TerminateInstancesRequest.fromPartial({
      instanceIds: o.instanceIds,
      force: o.force === true,
      skipOsShutdown: o.skipOsShutdown === true,
      dryRun: isDryRun(o),
    });
    const res = await ctx.call('TerminateInstances', c.terminateInstances.bind(c), request);
    ctx.print('TerminateInstances', res);
  });

  const modify = withCliInput(program.command('modify-instance-attribute'), MODIFY_INPUT)
    .description(
      "Change a stopped instance's type, or an instance's security groups, source/dest check or volumes' DeleteOnTermination (EC2 ModifyInstanceAttribute); prints nothing",
    )
    .requiredOption('--instance-id <id>', 'instance id')
    .option('--instance-type <type>', 'new instance type: T, Value=T or {"Value":"T"}')
    .option('--groups <ids...>', 'replace the security groups (1 to 5 group ids)')
    .option('--source-dest-check', 'check that the instance sends from its own address (default)')
    .option('--no-source-dest-check', 'let the instance route traffic of other addresses')
    .option('--attribute <name>', 'attribute name (instanceType), with --value')
    .option('--value <value>', 'new value of --attribute')
    .option(
      '--block-device-mappings <mapping...>',
      'DeleteOnTermination of attached volumes: DeviceName=/dev/sdf,Ebs={DeleteOnTermination=true}',
    );
  withDryRun(modify).action(async (o: ModifyOptions) => {
    const c = ctx.clients.instances;
    const mappings = parseInstanceBlockDeviceMappings(o.blockDeviceMappings);
    const security = o.groups !== undefined || o.sourceDestCheck !== undefined;
    const asked = [security, mappings.length > 0].filter(Boolean).length;
    if ((o.groups !== undefined && o.sourceDestCheck !== undefined) || asked > 1)
      throw new UsageError(
        'Pass one attribute at a time: --instance-type, --groups, --[no-]source-dest-check or --block-device-mappings',
      );
    const request = ModifyInstanceAttributeRequest.fromPartial({
      instanceId: o.instanceId,
      instanceType:
        security || (mappings.length > 0 && o.instanceType === undefined) ? '' : instanceTypeOf(o),
      groups: o.groups ?? [],
      sourceDestCheck:
        o.sourceDestCheck === undefined
          ? undefined
          : o.sourceDestCheck === true || o.sourceDestCheck === 'true',
      blockDeviceMappings: mappings,
      dryRun: isDryRun(o),
    });
    ctx.print(
      'ModifyInstanceAttribute',
      await ctx.call('ModifyInstanceAttribute', c.modifyInstanceAttribute.bind(c), request),
    );
  });
}

/** The new type from `--instance-type` or aws' generic `--attribute instanceType --value T`. */
function instanceTypeOf(o: ModifyOptions): string {
  if (o.instanceType !== undefined) return parseAttributeValue(o.instanceType, '--instance-type');
  if (o.attribute === 'instanceType' && o.value !== undefined)
    return parseAttributeValue(o.value, '--value');
  if (o.attribute !== undefined && o.attribute !== 'instanceType')
    throw new UsageError(`kumo can modify only the instanceType attribute, not '${o.attribute}'`);
  throw new UsageError('Pass the new type with --instance-type TYPE');
}
