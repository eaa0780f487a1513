import type { Command } from 'commander';
import {
  ModifyInstanceAttributeRequest,
  RebootInstancesRequest,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '../../gen/kumo/v1/instances.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { parseAttributeValue } from '../structured-params.js';

interface ModifyOptions {
  instanceId: string;
  instanceType?: string;
  attribute?: string;
  value?: string;
}

/** start/stop/reboot/terminate-instances and modify-instance-attribute. */
export function registerLifecycleCommands(program: Command, ctx: CliContext): void {
  const ids = '--instance-ids <ids...>';

  program
    .command('start-instances')
    .description('Start stopped instances (EC2 StartInstances)')
    .requiredOption(ids, 'instance ids')
    .action(async (o: { instanceIds: string[] }) => {
      const c = ctx.clients.instances;
      const request = StartInstancesRequest.fromPartial({ instanceIds: o.instanceIds });
      ctx.print(await ctx.call('StartInstances', c.startInstances.bind(c), request));
    });

  program
    .command('stop-instances')
    .description('Stop instances (EC2 StopInstances)')
    .requiredOption(ids, 'instance ids')
    .option('--force', 'stop at once, without an ACPI power-down')
    .action(async (o: { instanceIds: string[]; force?: boolean }) => {
      const c = ctx.clients.instances;
      const request = StopInstancesRequest.fromPartial({
        instanceIds: o.instanceIds,
        force: o.force === true,
      });
      ctx.print(await ctx.call('StopInstances', c.stopInstances.bind(c), request));
    });

  program
    .command('reboot-instances')
    .description('Reboot instances (EC2 RebootInstances); prints nothing')
    .requiredOption(ids, 'instance ids')
    .action(async (o: { instanceIds: string[] }) => {
      const c = ctx.clients.instances;
      const request = RebootInstancesRequest.fromPartial({ instanceIds: o.instanceIds });
      await ctx.call('RebootInstances', c.rebootInstances.bind(c), request);
    });

  program
    .command('terminate-instances')
    .description('Terminate instances (EC2 TerminateInstances)')
    .requiredOption(ids, 'instance ids')
    .action(async (o: { instanceIds: string[] }) => {
      const c = ctx.clients.instances;
      const request = TerminateInstancesRequest.fromPartial({ instanceIds: o.instanceIds });
      ctx.print(await ctx.call('TerminateInstances', c.terminateInstances.bind(c), request));
    });

  program
    .command('modify-instance-attribute')
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
