import type { Command } from 'commander';
import {
  DescribeInstancesRequest,
  DescribeInstanceStatusRequest,
} from '../gen/kumo/v1/instances.js';
import type { CliContext } from './context.js';
import { toPascalCase } from './pascal-case.js';
import {
  BOOLEAN,
  FILTERS,
  STRING_LIST,
  type CommandInput,
  type InputMember,
} from './request-shapes.js';
import { parseFilters } from './structured-params.js';
import type { WaitReporter } from './waiter-loop.js';

/**
 * The operations `kumo wait` polls, one call per poll as botocore's waiters make it (a waiter
 * reads the first page only; kumod answers without MaxResults in one page anyway).
 */

export interface WaitOptions {
  instanceIds?: string[];
  filters?: string[];
  includeAllInstances?: boolean;
  timeout?: string;
  /** The ids option of other resources (imageIds, volumeIds, ...), by commander's key. */
  [ids: string]: unknown;
}

/** The option that names what a wait polls: `--instance-ids <ids...>` and its value's key. */
export interface IdsOption {
  readonly flag: string;
  readonly key: string;
  readonly help: string;
}

const INSTANCE_IDS_OPTION: IdsOption = {
  flag: '--instance-ids <ids...>',
  key: 'instanceIds',
  help: 'instance ids (default: every instance the filters match)',
};

/** How `kumo wait` polls one EC2 operation and describes what it found. */
export interface Poller {
  readonly input: CommandInput;
  readonly ids: IdsOption;
  /** The operation's request options, after --instance-ids and --filters. */
  readonly addOptions: (command: Command) => Command;
  /** One call; the EC2-shaped response, as the acceptors read it. */
  readonly call: (ctx: CliContext, o: WaitOptions) => Promise<unknown>;
  readonly report: WaitReporter;
}

const INSTANCE_IDS: InputMember = {
  name: 'InstanceIds',
  shape: STRING_LIST,
  option: 'instanceIds',
};
const FILTER_LIST: InputMember = { name: 'Filters', shape: FILTERS, option: 'filters' };

interface InstanceView {
  InstanceId?: string;
  State?: { Name?: string };
  StateReason?: { Message?: string };
}

const instancesIn = (response: unknown): InstanceView[] =>
  ((response as { Reservations?: { Instances?: InstanceView[] }[] }).Reservations ?? []).flatMap(
    (r) => r.Instances ?? [],
  );

const DESCRIBE_INSTANCES: Poller = {
  input: { operation: 'DescribeInstances', members: [INSTANCE_IDS, FILTER_LIST] },
  ids: INSTANCE_IDS_OPTION,
  addOptions: (command) => command,
  call: async (ctx, o) => {
    const c = ctx.clients.instances;
    const request = DescribeInstancesRequest.fromPartial({
      instanceIds: o.instanceIds ?? [],
      filters: parseFilters(o.filters),
    });
    return toPascalCase(await ctx.call('DescribeInstances', c.describeInstances.bind(c), request));
  },
  report: {
    failed: (response, expected) => {
      const matched = instancesIn(response)
        .filter((i) => i.State?.Name === expected)
        .map((i) => {
          const reason = i.StateReason?.Message ? ` (${i.StateReason.Message})` : '';
          return `${i.InstanceId} is ${i.State?.Name}${reason}`;
        });
      return matched.length > 0 ? matched.join(', ') : `an instance is ${String(expected)}`;
    },
    pending: (response) => {
      const all = instancesIn(response).map((i) => `${i.InstanceId} (${i.State?.Name})`);
      return all.length > 0 ? all.join(', ') : 'an instance to match';
    },
  },
};

interface StatusView {
  InstanceId?: string;
  InstanceStatus?: { Status?: string };
  SystemStatus?: { Status?: string };
}

const statusesIn = (response: unknown): StatusView[] =>
  (response as { InstanceStatuses?: StatusView[] }).InstanceStatuses ?? [];

const DESCRIBE_INSTANCE_STATUS: Poller = {
  input: {
    operation: 'DescribeInstanceStatus',
    members: [
      INSTANCE_IDS,
      FILTER_LIST,
      { name: 'IncludeAllInstances', shape: BOOLEAN, option: 'includeAllInstances' },
    ],
  },
  ids: INSTANCE_IDS_OPTION,
  addOptions: (command) =>
    command
      .option('--include-all-instances', 'also instances that are not running')
      .option('--no-include-all-instances', 'running instances only (the default)'),
  call: async (ctx, o) => {
    const c = ctx.clients.instances;
    const request = DescribeInstanceStatusRequest.fromPartial({
      instanceIds: o.instanceIds ?? [],
      filters: parseFilters(o.filters),
      includeAllInstances: o.includeAllInstances === true,
    });
    const res = await ctx.call('DescribeInstanceStatus', c.describeInstanceStatus.bind(c), request);
    return toPascalCase(res);
  },
  report: {
    failed: (_response, expected) => `an instance's status is ${String(expected)}`,
    pending: (response) => {
      const all = statusesIn(response).map(
        (s) =>
          `${s.InstanceId} (instance ${s.InstanceStatus?.Status}, system ${s.SystemStatus?.Status})`,
      );
      // DescribeInstanceStatus lists running instances only, unless asked for all.
      return all.length > 0 ? all.join(', ') : 'a running instance to match';
    },
  },
};

/** The pollers, by the EC2 operation the waiters of waiters.ts name. */
export const POLLERS: Readonly<Record<string, Poller>> = {
  DescribeInstances: DESCRIBE_INSTANCES,
  DescribeInstanceStatus: DESCRIBE_INSTANCE_STATUS,
};
