import { status } from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Instance,
  Reservation,
  type DescribeInstancesRequest,
  type RunInstancesRequest,
  type StopInstancesRequest,
  type TerminateInstancesRequest,
} from '../../../src/gen/kumo/v1/instances.js';
import { ec2Error, kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/** aws-cli's conventions, end to end through main() against a fake kumod. */
let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const UNKNOWN = 'i-00000000000000000';

const reservation = (...states: [string, string][]) =>
  Reservation.fromPartial({
    reservationId: 'r-1',
    ownerId: 'kumo',
    instances: states.map(([id, name]) =>
      Instance.fromPartial({ instanceId: id, state: { code: 0, name } }),
    ),
  });

beforeAll(async () => {
  fake = await startFakeKumod({
    describeInstances: (r) => {
      const { instanceIds } = r as DescribeInstancesRequest;
      if (instanceIds.includes(UNKNOWN))
        throw ec2Error(
          'InvalidInstanceID.NotFound',
          status.NOT_FOUND,
          `The instance ID '${UNKNOWN}' does not exist`,
        );
      if (instanceIds.includes('i-gone'))
        return { reservations: [reservation(['i-gone', 'terminated'])] };
      return { reservations: [reservation(['i-1', 'running'], ['i-2', 'running'])] };
    },
    stopInstances: () => ({ stoppingInstances: [] }),
    runInstances: () => ({ reservation: reservation(['i-1', 'pending']) }),
  });
});

afterAll(() => fake.close());

const last = <T>(rpc: string) => fake.seen[rpc]?.at(-1) as T;

describe('help and unknown commands', () => {
  it('prints a command’s help for `<command> help`, as aws does', async () => {
    const r = await kumo('describe-instances', 'help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: kumo describe-instances [options]');
    expect(r.stdout).toContain('--filters <filter...>');
    const wait = await kumo('wait', 'instance-running', 'help');
    expect(wait.code).toBe(0);
    expect(wait.stdout).toContain('Usage: kumo wait instance-running [options]');
  });

  it('prints the top-level help for `kumo help`, and a command’s for `kumo help <command>`', async () => {
    const top = await kumo('help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: kumo [options] [command]');
    expect(top.stdout).toContain('describe-instances');
    const sub = await kumo('help', 'wait', 'instance-stopped');
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('Usage: kumo wait instance-stopped [options]');
  });

  it('refuses an unknown command with one line naming it, with or without --help', async () => {
    for (const args of [['descrbe-instances'], ['descrbe-instances', '--help'], ['help', 'nope']]) {
      const r = await kumo(...args);
      expect(r.code, args.join(' ')).toBe(252);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^kumo: error: unknown command '(descrbe-instances|nope)'/);
      expect(r.stderr).toContain('(see: kumo --help)');
    }
    const sub = await kumo('wait', 'instance-runing', '--help');
    expect(sub.code).toBe(252);
    expect(sub.stderr).toContain("unknown command 'instance-runing'");
    expect(sub.stderr).toContain('instance-running');
  });
});

describe('run-instances client token', () => {
  it('sends a fresh UUID when none is given, and the given one otherwise', async () => {
    expect((await kumo('run-instances')).code).toBe(0);
    const first = last<RunInstancesRequest>('runInstances').clientToken;
    expect((await kumo('run-instances')).code).toBe(0);
    const second = last<RunInstancesRequest>('runInstances').clientToken;
    const uuid4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(first).toMatch(uuid4);
    expect(second).toMatch(uuid4);
    expect(second).not.toBe(first);
    await kumo('run-instances', '--client-token', 'mine-1');
    expect(last<RunInstancesRequest>('runInstances').clientToken).toBe('mine-1');
  });
});

describe('--cli-input-json', () => {
  it('supplies members by their EC2 names, also from file://, and makes required options optional', async () => {
    const r = await kumo(
      'stop-instances',
      '--cli-input-json',
      '{"InstanceIds":["i-1"],"Force":true}',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(last<StopInstancesRequest>('stopInstances')).toMatchObject({
      instanceIds: ['i-1'],
      force: true,
    });
    const file = join(fake.dir, 'input.json');
    writeFileSync(file, JSON.stringify({ InstanceIds: ['i-7', 'i-8'] }));
    expect((await kumo('stop-instances', '--cli-input-json', `file://${file}`)).code).toBe(0);
    expect(last<StopInstancesRequest>('stopInstances').instanceIds).toEqual(['i-7', 'i-8']);
  });

  it('loses to the command line, and beats option defaults', async () => {
    const json = JSON.stringify({
      InstanceIds: ['i-json'],
      Filters: [{ Name: 'instance-state-name', Values: ['running'] }],
    });
    await kumo('describe-instances', '--instance-ids', 'i-cli', '--cli-input-json', json);
    expect(last<DescribeInstancesRequest>('describeInstances')).toMatchObject({
      instanceIds: ['i-cli'],
      filters: [{ name: 'instance-state-name', values: ['running'] }],
    });
    const input = JSON.stringify({
      InstanceType: 't3.large',
      MinCount: 2,
      MaxCount: 3,
      UserData: 'file://x',
    });
    await kumo('run-instances', '--cli-input-json', input);
    expect(last<RunInstancesRequest>('runInstances')).toMatchObject({
      instanceType: 't3.large',
      minCount: 2,
      maxCount: 3,
      // JSON values are taken literally: no file is read.
      userData: Buffer.from('file://x'),
    });
    await kumo('run-instances', '--count', '4', '--cli-input-json', input);
    expect(last<RunInstancesRequest>('runInstances')).toMatchObject({ minCount: 4, maxCount: 4 });
  });

  it('takes SkipOsShutdown and Force on stop and terminate, as flags and as JSON', async () => {
    await kumo('stop-instances', '--instance-ids', 'i-1', '--skip-os-shutdown');
    expect(last<StopInstancesRequest>('stopInstances')).toMatchObject({
      skipOsShutdown: true,
      force: false,
    });
    await kumo(
      'terminate-instances',
      '--cli-input-json',
      '{"InstanceIds":["i-1"],"Force":true,"SkipOsShutdown":true}',
    );
    expect(last<TerminateInstancesRequest>('terminateInstances')).toMatchObject({
      instanceIds: ['i-1'],
      force: true,
      skipOsShutdown: true,
    });
  });

  it('refuses bad input as a usage error', async () => {
    const cases: [string, RegExp][] = [
      ['{"InstanceIds":', /Error parsing parameter '--cli-input-json': Invalid JSON: /],
      ['[1]', /expected a JSON object/],
      [
        '{"SkipOSShutdown":true}',
        /Unknown parameter in --cli-input-json: "SkipOSShutdown", must be one of: InstanceIds, Hibernate, SkipOsShutdown, DryRun, Force/,
      ],
      ['{"InstanceIds":"i-1"}', /Invalid type for parameter InstanceIds .*expected a list/],
      ['{}', /required option '--instance-ids <ids\.\.\.>' not specified/],
    ];
    for (const [json, message] of cases) {
      const r = await kumo('stop-instances', '--cli-input-json', json);
      expect(r.code, json).toBe(252);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
    const nested = await kumo(
      'describe-instances',
      '--cli-input-json',
      '{"Filters":[{"Name":"a","Value":["b"]}]}',
    );
    expect(nested.code).toBe(252);
    expect(nested.stderr).toContain('Unknown parameter in --cli-input-json: "Filters[0].Value"');
  });
});

describe('--generate-cli-skeleton', () => {
  it('prints the input skeleton without calling kumod or needing required options', async () => {
    const before = fake.seen.stopInstances?.length ?? 0;
    const r = await kumo('stop-instances', '--generate-cli-skeleton');
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout:
        '{\n    "InstanceIds": [\n        ""\n    ],\n    "Hibernate": true,\n    "SkipOsShutdown": true,\n    "DryRun": true,\n    "Force": true\n}\n',
    });
    expect(fake.seen.stopInstances?.length ?? 0).toBe(before);
    expect(
      JSON.parse((await kumo('describe-host', '--generate-cli-skeleton', 'input')).stdout),
    ).toEqual({});
  });

  it('round-trips: a filled-in skeleton is valid --cli-input-json', async () => {
    const skeleton = JSON.parse((await kumo('run-instances', '--generate-cli-skeleton')).stdout);
    const r = await kumo('run-instances', '--cli-input-json', JSON.stringify(skeleton));
    expect(r.code).toBe(0);
    expect(last<RunInstancesRequest>('runInstances')).toMatchObject({
      instanceType: 't3.micro',
      tagSpecifications: [{ resourceType: 'instance', tags: [{ key: '', value: '' }] }],
    });
  });

  it('prints a sample response for `output`, through --query and --output, without kumod', async () => {
    const gone = `unix://${join(fake.dir, 'nobody.sock')}`;
    const out = await run(gone, ['describe-instances', '--generate-cli-skeleton', 'output']);
    expect(out.code).toBe(0);
    const sample = JSON.parse(out.stdout);
    expect(sample.Reservations[0].Instances[0]).toMatchObject({
      InstanceId: 'InstanceId',
      State: { Code: 0, Name: 'Name' },
      LaunchTime: '1970-01-01T00:00:00.000Z',
      Tags: [{ Key: 'Key', Value: 'Value' }],
    });
    const queried = await run(gone, [
      'start-instances',
      '--instance-ids',
      'i-1',
      '--generate-cli-skeleton',
      'output',
      '--query',
      'StartingInstances[0].CurrentState',
      '--output',
      'text',
    ]);
    expect(queried).toEqual({ code: 0, stdout: '0\tName\n', stderr: '' });
    // `output` checks the command line as a real call would.
    const missing = await run(gone, ['start-instances', '--generate-cli-skeleton', 'output']);
    expect(missing.code).toBe(252);
  });
});

describe('kumo wait', () => {
  it('passes --filters and ids to DescribeInstances and ends on success', async () => {
    const r = await kumo(
      'wait',
      'instance-running',
      '--filters',
      'Name=tag:Name,Values=web',
      '--instance-ids',
      'i-1',
      'i-2',
    );
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(last<DescribeInstancesRequest>('describeInstances')).toMatchObject({
      instanceIds: ['i-1', 'i-2'],
      filters: [{ name: 'tag:Name', values: ['web'] }],
    });
    expect((await kumo('wait', 'instance-exists')).code).toBe(0);
  });

  it('fails at once on a failure state, with the instance and its state', async () => {
    const r = await kumo('wait', 'instance-running', '--instance-ids', 'i-gone');
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(
      'Waiter InstanceRunning failed: i-gone is terminated; InstanceRunning gives up on that\n',
    );
  });

  it('keeps polling an unknown id where botocore retries, and fails at once where it does not', async () => {
    const retried = await kumo(
      'wait',
      'instance-running',
      '--instance-ids',
      UNKNOWN,
      '--timeout',
      '1',
    );
    expect(retried.code).toBe(255);
    expect(retried.stderr).toBe(
      `Waiter InstanceRunning failed: timed out after 1 s; the last call failed with InvalidInstanceID.NotFound: The instance ID '${UNKNOWN}' does not exist\n`,
    );
    const stopped = await kumo('wait', 'instance-stopped', '--instance-ids', UNKNOWN);
    expect(stopped.code).toBe(255);
    expect(stopped.stderr).toBe(
      `Waiter InstanceStopped failed: An error occurred (InvalidInstanceID.NotFound): The instance ID '${UNKNOWN}' does not exist\n`,
    );
  });

  it('documents --timeout as a kumo extension', async () => {
    const r = await kumo('wait', 'instance-terminated', '--help');
    expect(r.stdout).toMatch(/--timeout <seconds>\s+kumo extension/);
  });
});

describe('--output table', () => {
  it('is titled with the operation and fits the terminal', async () => {
    const r = await run(fake.endpoint, ['describe-instances', '--output', 'table'], 60);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^\|\s+DescribeInstances\s+\|$/);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
  });
});
