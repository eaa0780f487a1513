import { beforeAll, describe, expect, it } from 'vitest';
import { CliFailure } from '../../../src/cli/errors.js';
import { runWaiter, type WaitReporter } from '../../../src/cli/waiter-loop.js';
import {
  decidingAcceptor,
  WAITERS,
  type PollOutcome,
  type WaiterDefinition,
} from '../../../src/cli/waiters.js';
import { referencePython, runReference } from './aws-reference.js';

const python = referencePython(['botocore.waiter']);

const reservations = (...states: string[]) => ({
  Reservations: [
    {
      ReservationId: 'r-1',
      Instances: states.map((name, i) => ({ InstanceId: `i-${i + 1}`, State: { Name: name } })),
    },
  ],
});
const statuses = (instance: string, system: string) => ({
  InstanceStatuses: [
    { InstanceId: 'i-1', InstanceStatus: { Status: instance }, SystemStatus: { Status: system } },
  ],
});
/** A Describe response whose list holds one item per state. */
const listOf = (list: string, idField: string, ...states: string[]) => ({
  [list]: states.map((State, i) => ({ [idField]: `${idField}-${i + 1}`, State })),
});
const failed = (code: string) => ({ error: { code, message: `${code} says kumod` } });

/** Polls of every kind a waiter meets, by the operation that answers them. */
const POLLS: Readonly<Record<string, readonly PollOutcome[]>> = {
  DescribeInstances: [
    { response: reservations('running', 'running') },
    { response: reservations('running', 'pending') },
    { response: reservations('running', 'shutting-down') },
    { response: reservations('stopping', 'stopped') },
    { response: reservations('stopped', 'stopped') },
    { response: reservations('terminated', 'terminated') },
    { response: reservations('terminated', 'pending') },
    { response: { Reservations: [] } },
    { response: { Reservations: [{ ReservationId: 'r-1', Instances: [] }] } },
    failed('InvalidInstanceID.NotFound'),
    failed('InvalidInstanceID.Malformed'),
  ],
  DescribeInstanceStatus: [
    { response: statuses('ok', 'ok') },
    { response: statuses('initializing', 'ok') },
    { response: statuses('ok', 'impaired') },
    { response: { InstanceStatuses: [] } },
    failed('InvalidInstanceID.NotFound'),
  ],
  DescribeImages: [
    { response: listOf('Images', 'ImageId', 'available', 'available') },
    { response: listOf('Images', 'ImageId', 'available', 'pending') },
    { response: listOf('Images', 'ImageId', 'pending', 'failed') },
    { response: { Images: [] } },
    failed('InvalidAMIID.NotFound'),
  ],
  DescribeVolumes: [
    { response: listOf('Volumes', 'VolumeId', 'available') },
    { response: listOf('Volumes', 'VolumeId', 'in-use', 'in-use') },
    { response: listOf('Volumes', 'VolumeId', 'creating', 'available') },
    { response: listOf('Volumes', 'VolumeId', 'deleted') },
    { response: { Volumes: [] } },
    failed('InvalidVolume.NotFound'),
  ],
  DescribeSnapshots: [
    { response: listOf('Snapshots', 'SnapshotId', 'completed') },
    { response: listOf('Snapshots', 'SnapshotId', 'pending', 'completed') },
    { response: listOf('Snapshots', 'SnapshotId', 'error') },
    failed('InvalidSnapshot.NotFound'),
  ],
  DescribeKeyPairs: [
    { response: { KeyPairs: [{ KeyName: 'me', KeyPairId: 'key-1' }] } },
    { response: { KeyPairs: [] } },
    failed('InvalidKeyPair.NotFound'),
  ],
  DescribeVpcs: [
    { response: listOf('Vpcs', 'VpcId', 'available') },
    { response: listOf('Vpcs', 'VpcId', 'pending', 'available') },
    { response: { Vpcs: [] } },
    failed('InvalidVpcID.NotFound'),
    failed('InvalidVpcID.Malformed'),
  ],
  DescribeSubnets: [
    { response: listOf('Subnets', 'SubnetId', 'available', 'available') },
    { response: listOf('Subnets', 'SubnetId', 'pending') },
    failed('InvalidSubnetID.NotFound'),
  ],
  DescribeSecurityGroups: [
    { response: { SecurityGroups: [{ GroupId: 'sg-1', GroupName: 'web' }] } },
    { response: { SecurityGroups: [] } },
    failed('InvalidGroup.NotFound'),
  ],
};

const CASES = Object.entries(WAITERS).flatMap(([waiter, definition]) =>
  (POLLS[definition.operation] ?? []).map((outcome) => ({ waiter, outcome })),
);

describe.skipIf(python === undefined)("waiters against botocore's waiters-2.json", () => {
  let botocore: {
    definitions: Record<string, WaiterDefinition>;
    verdicts: (string | null)[];
  };

  beforeAll(() => {
    botocore = runReference(python ?? '', 'botocore_waiters.py', {
      waiters: Object.keys(WAITERS),
      polls: CASES.map(({ waiter, outcome }) =>
        'error' in outcome
          ? { waiter, error: { Code: outcome.error.code, Message: outcome.error.message } }
          : { waiter, response: outcome.response },
      ),
    });
  });

  it('define the same operation and acceptors, in the same order', () => {
    expect(WAITERS).toEqual(botocore.definitions);
  });

  CASES.forEach(({ waiter, outcome }, i) => {
    it(`${waiter} decides ${JSON.stringify(outcome)} as botocore does`, () => {
      const definition = WAITERS[waiter] as WaiterDefinition;
      expect(decidingAcceptor(definition, outcome)?.state ?? null).toBe(botocore.verdicts[i]);
    });
  });

  it('cover success, failure, retry and no decision', () => {
    expect(new Set(botocore.verdicts)).toEqual(new Set(['success', 'failure', 'retry', null]));
  });
});

describe('the waiter loop', () => {
  const running = WAITERS.InstanceRunning as WaiterDefinition;
  const report: WaitReporter = {
    failed: (_response, expected) => `an instance is ${String(expected)}`,
    pending: () => 'the rest',
  };

  /** Runs the loop on scripted polls with a fake clock; returns how many polls it made. */
  async function run(polls: PollOutcome[], timeoutS = 60) {
    let clock = 0;
    let made = 0;
    const poll = () => {
      made += 1;
      const next = polls.shift();
      if (next === undefined) throw new Error('polled past the script');
      return Promise.resolve(next);
    };
    const timing = {
      pollIntervalMs: 2_000,
      timeoutS,
      now: () => clock,
      sleep: (ms: number) => Promise.resolve((clock += ms)),
    };
    const result = await runWaiter('InstanceRunning', running, poll, report, timing).then(
      () => 'done',
      (e: unknown) => e,
    );
    return { result, made };
  }

  it('retries an unknown id, then waits for every instance to run', async () => {
    const r = await run([
      failed('InvalidInstanceID.NotFound'),
      { response: reservations('pending', 'pending') },
      { response: reservations('running', 'pending') },
      { response: reservations('running', 'running') },
    ]);
    expect(r).toEqual({ result: 'done', made: 4 });
  });

  it('fails at once on a failure state', async () => {
    const r = await run([
      { response: reservations('pending') },
      { response: reservations('running', 'stopping') },
      { response: reservations('running', 'running') },
    ]);
    expect(r.made).toBe(2);
    expect(r.result).toBeInstanceOf(CliFailure);
    expect((r.result as Error).message).toBe(
      'Waiter InstanceRunning failed: an instance is stopping; InstanceRunning gives up on that',
    );
  });

  it('fails at once on an error no acceptor expects', async () => {
    const r = await run([failed('InvalidInstanceID.Malformed')]);
    expect(r.made).toBe(1);
    expect((r.result as Error).message).toBe(
      'Waiter InstanceRunning failed: An error occurred (InvalidInstanceID.Malformed): InvalidInstanceID.Malformed says kumod',
    );
  });

  it('gives up when the time is spent, saying what it still waits for', async () => {
    const pending = { response: reservations('pending') };
    const r = await run([pending, pending, pending, pending, pending], 6);
    // Polls at 0, 2, 4 and 6 s; another would come after the deadline.
    expect(r.made).toBe(4);
    expect((r.result as Error).message).toBe(
      'Waiter InstanceRunning failed: timed out after 6 s; still waiting for the rest',
    );
  });
});
