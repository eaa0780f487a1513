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
import { UsageError } from '../errors.js';
import {
  ATTRIBUTE_VALUE,
  BOOLEAN,
  enumOf,
  STRING,
  STRING_LIST,
  type CommandInput,
  type InputMember,
} from '../request-shapes.js';
import { parseAttributeValue } from '../structured-params.js';

interface ModifyOptions {
  instanceId: string;
  instanceType?: string;
  attribute?: string;
  value?: string;
}

const INSTANCE_IDS: InputMember = {
  name: 'InstanceIds',
  shape: STRING_LIST,
  option: 'instanceIds',
};
const idsOnly = (operation: string): CommandInput => ({ operation, members: [INSTANCE_IDS] });

const STOP_INPUT: CommandInput = {
  operation: 'StopInstances',
  members: [INSTANCE_IDS, { name: 'Force', shape: BOOLEAN, option: 'force' }],
};

const MODIFY_INPUT: CommandInput = {
  operation: 'ModifyInstanceAttribute',
  members: [
    { name: 'InstanceId', shape: STRING, option: 'instanceId' },
    { name: 'Attribute', shape: enumOf('instanceType'), option: 'attribute' },
    { name: 'Value', shape: STRING, option: 'value' },
    { name: 'InstanceType', shape: ATTRIBUTE_VALUE, option: 'instanceType' },
  ],
};

/** start/stop/reboot/terminate-instances and modify-instance-attribute. */
export function registerLifecycleCommands(program: Command, ctx: CliContext): void {
  const ids = '--instance-ids <ids...>';

  withCliInput(program.command('start-instances'), idsOnly('StartInstances'))
    .description('Start stopped instances (EC2 StartInstances)')
    .requiredOption(ids, 'instance ids')
    .action(async (o: { instanceIds: string[] }) => {
      const c = ctx.clients.instances;
      const request = StartInstancesRequest.fromPartial({ instanceIds: o.instanceIds });
      const res = await ctx.call('StartInstances', c.startInstances.bind(c), request);
      ctx.print('StartInstances', res);
    });

  withCliInput(program.command('stop-instances'), STOP_INPUT)
    .description('Stop instances (EC2 StopInstances)')
    .requiredOption(ids, 'instance ids')
    .option('--force', 'stop at once, without an ACPI power-down')
    .action(async (o: { instanceIds: string[]; force?: boolean }) => {
      const c = ctx.clients.instances;
      const request = StopInstancesRequest.fromPartial({
        instanceIds: o.instanceIds,
        force: o.force === true,
      });
      ctx.print('StopInstances', await ctx.call('StopInstances', c.stopInstances.bind(c), request));
    });

  withCliInput(program.command('reboot-instances'), idsOnly('RebootInstances'))
    .description('Reboot instances (EC2 RebootInstances); prints nothing')
    .requiredOption(ids, 'instance ids')
    .action(async (o: { instanceIds: string[] }) => {
      const c = ctx.clients.instances;
      const request = RebootInstancesRequest.fromPartial({ instanceIds: o.instanceIds });
      await ctx.call('RebootInstances', c.rebootInstances.bind(c), request);
    });

  withCliInput(program.command('terminate-instances'), idsOnly('TerminateInstances'))
    .description('Terminate instances (EC2 TerminateInstances)')
    .requiredOption(ids, 'instance ids')
    .action(async (o: { instanceIds: string[] }) => {
      const c = ctx.clients.instances;
      const request = TerminateInstancesRequest.fromPartial({ instanceIds: o.instanceIds });
      const res = await ctx.call('TerminateInstances', c.terminateInstances.bind(c), request);
      ctx.print('TerminateInstances', res);
    });

  withCliInput(program.command('modify-instance-attribute'), MODIFY_INPUT)
    .description("Change a stopped instance's type (EC2 ModifyInstanceAttribute); prints nothing")
    .requiredOption('--instance-id <id>', 'instance id')
    .option('--instance-type <type>', 'new instance type: T, Value=T or {"Value":"T"}')
    .option('--attribute <name>', 'attribute name (instanceType), with --value')
    .option('--value <value>', 'new value of --attribute')
    .action(async (o: ModifyOptions) => {
      const c = ctx.clients.instances;
      const request = ModifyInstanceAttributeRequest.fromPartial({
        instanceId: o.instanceId,
        instanceType: instanceTypeOf(o),
      });
      await ctx.call('ModifyInstanceAttribute', c.modifyInstanceAttribute.bind(c), request);
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
