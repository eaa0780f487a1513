import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DescribeInstanceStatusRequest } from '../../../src/gen/kumo/v1/instances.js';
import { ec2Error, kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/**
 * describe-instance-status and the waiters that poll it (instance-status-ok, system-status-ok),
 * through main() against a fake kumod. Their acceptors are checked against botocore in
 * waiters.test.ts; this file checks the commands send the request and act on the answers.
 */
const UNKNOWN = 'i-00000000000000000';

const statusOf = (id: string, instance: string, system: string) => ({
  instanceId: id,
  availabilityZone: 'kumo-local-1a',
  instanceState: { code: 16, name: 'running' },
  instanceStatus: { status: instance, details: [{ name: 'reachability', status: 'passed' }] },
  systemStatus: { status: system, details: [{ name: 'reachability', status: 'passed' }] },
});

/** Statuses by instance id: i-ok is ok on both sides, i-booting still initializing. */
const STATUSES: Record<string, ReturnType<typeof statusOf>> = {
  'i-ok': statusOf('i-ok', 'ok', 'ok'),
  'i-booting': statusOf('i-booting', 'initializing', 'ok'),
};

let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const last = () => fake.seen.describeInstanceStatus?.at(-1) as DescribeInstanceStatusRequest;

beforeAll(async () => {
  fake = await startFakeKumod({
    describeInstanceStatus: (r) => {
      const { instanceIds } = r as DescribeInstanceStatusRequest;
      if (instanceIds.includes(UNKNOWN))
        throw ec2Error(
          'InvalidInstanceID.NotFound',
          status.NOT_FOUND,
          `The instance ID '${UNKNOWN}' does not exist`,
        );
      const ids = instanceIds.length > 0 ? instanceIds : Object.keys(STATUSES);
      return { instanceStatuses: ids.flatMap((id) => STATUSES[id] ?? []) };
    },
  });
});
afterAll(() => fake.close());

describe('describe-instance-status', () => {
  it('sends ids, filters and --include-all-instances, and prints EC2 InstanceStatuses', async () => {
    const r = await kumo(
      'describe-instance-status',
      '--instance-ids',
      'i-ok',
      '--filters',
      'Name=instance-status.status,Values=ok',
      '--include-all-instances',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(last()).toMatchObject({
      instanceIds: ['i-ok'],
      filters: [{ name: 'instance-status.status', values: ['ok'] }],
      includeAllInstances: true,
      maxResults: 0,
      nextToken: '',
    });
    expect(JSON.parse(r.stdout)).toEqual({
      InstanceStatuses: [
        {
          InstanceId: 'i-ok',
          AvailabilityZone: 'kumo-local-1a',
          InstanceState: { Code: 16, Name: 'running' },
          InstanceStatus: { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] },
          SystemStatus: { Status: 'ok', Details: [{ Name: 'reachability', Status: 'passed' }] },
        },
      ],
    });
  });

  it('lists running instances only unless asked, the last flag winning', async () => {
    await kumo('describe-instance-status');
    expect(last().includeAllInstances).toBe(false);
    await kumo('describe-instance-status', '--include-all-instances', '--no-include-all-instances');
    expect(last().includeAllInstances).toBe(false);
  });
});

describe('kumo wait instance-status-ok / system-status-ok', () => {
  it('end at once when every listed instance reports ok', async () => {
    for (const waiter of ['instance-status-ok', 'system-status-ok'])
      expect(await kumo('wait', waiter, '--instance-ids', 'i-ok')).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
    expect(last()).toMatchObject({ instanceIds: ['i-ok'], includeAllInstances: false });
  });

  it('wait for the side they name: the guest still initializing holds only instance-status-ok', async () => {
    expect((await kumo('wait', 'system-status-ok', '--instance-ids', 'i-booting')).code).toBe(0);
    expect(
      await kumo('wait', 'instance-status-ok', '--instance-ids', 'i-booting', '--timeout', '1'),
    ).toEqual({
      code: 255,
      stdout: '',
      stderr:
        'Waiter InstanceStatusOk failed: timed out after 1 s; still waiting for i-booting (instance initializing, system ok)\n',
    });
  });

  it('pass --include-all-instances and --filters to each poll', async () => {
    const r = await kumo(
      'wait',
      'system-status-ok',
      '--include-all-instances',
      '--filters',
      'Name=availability-zone,Values=kumo-local-1a',
    );
    expect(r.code).toBe(0);
    expect(last()).toMatchObject({
      includeAllInstances: true,
      filters: [{ name: 'availability-zone', values: ['kumo-local-1a'] }],
    });
  });

  it("retry an unknown id only where botocore's waiter does", async () => {
    const retried = await kumo(
      'wait',
      'instance-status-ok',
      '--instance-ids',
      UNKNOWN,
      '--timeout',
      '1',
    );
    expect(retried.stderr).toBe(
      `Waiter InstanceStatusOk failed: timed out after 1 s; the last call failed with InvalidInstanceID.NotFound: The instance ID '${UNKNOWN}' does not exist\n`,
    );
    const failed = await kumo('wait', 'system-status-ok', '--instance-ids', UNKNOWN);
    expect(failed).toEqual({
      code: 255,
      stdout: '',
      stderr: `Waiter SystemStatusOk failed: An error occurred (InvalidInstanceID.NotFound): The instance ID '${UNKNOWN}' does not exist\n`,
    });
  });

  it('say in their help what ends them', async () => {
    // Commander wraps the help to the terminal: compare the words.
    const help = (await kumo('wait', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      "instance-status-ok [options] Wait until every matching running instance's instance status is ok; retries InvalidInstanceID.NotFound",
    );
    // Nothing fails it at once and nothing is retried: the next command follows its goal.
    expect(help).toContain(
      "system-status-ok [options] Wait until every matching running instance's system status is ok image-available",
    );
    expect(help).toContain(
      'image-available [options] Wait until every matching image is available; fails at once on failed',
    );
  });
});
