import { isDeepStrictEqual } from 'node:util';
import { jmesSearch } from './jmespath.js';

/**
 * The EC2 waiters of `aws ec2 wait`, as botocore defines them in
 * data/ec2/2016-11-15/waiters-2.json: the operation each one polls and its acceptors, in order.
 * The first acceptor that matches a poll decides: success ends the wait, failure ends it with an
 * error at once, retry (or no match) polls again. An error answer no acceptor expects fails the
 * wait. test/unit/cli/waiters.test.ts checks these entries against botocore's file.
 *
 * Only the timing is kumo's own (wait.ts): botocore polls every 15 s, 40 times; kumo's guests
 * start in seconds, so it polls every 2 s until --timeout.
 */

export type AcceptorState = 'success' | 'failure' | 'retry';

export type Acceptor =
  /** `argument` (JMESPath over the EC2-shaped response) equals `expected`. */
  | {
      readonly matcher: 'path';
      readonly argument: string;
      readonly expected: unknown;
      readonly state: AcceptorState;
    }
  /** `argument` gives a non-empty list whose every element equals `expected`. */
  | {
      readonly matcher: 'pathAll';
      readonly argument: string;
      readonly expected: unknown;
      readonly state: AcceptorState;
    }
  /** `argument` gives a non-empty list with at least one element equal to `expected`. */
  | {
      readonly matcher: 'pathAny';
      readonly argument: string;
      readonly expected: unknown;
      readonly state: AcceptorState;
    }
  /** The call answered with this HTTP status: 200 is any answer that is not an error. */
  | {
      readonly matcher: 'status';
      readonly expected: number;
      readonly state: AcceptorState;
    }
  /** The call failed with this EC2 error code (true: with any error; false: without one). */
  | {
      readonly matcher: 'error';
      readonly expected: string | boolean;
      readonly state: AcceptorState;
    };

export interface WaiterDefinition {
  /** The EC2 operation polled. */
  readonly operation: string;
  readonly acceptors: readonly Acceptor[];
}

const STATE_NAMES = 'Reservations[].Instances[].State.Name';
const NOT_FOUND_RETRIES: Acceptor = {
  matcher: 'error',
  expected: 'InvalidInstanceID.NotFound',
  state: 'retry',
};
const stateIs = (matcher: 'pathAll' | 'pathAny', expected: string, state: AcceptorState) =>
  ({ matcher, argument: STATE_NAMES, expected, state }) as const;

/** Success when every item of a list is in `state`; failure as soon as one is in `failure`. */
const allIn = (list: string, state: string, failure?: string): readonly Acceptor[] => [
  { matcher: 'pathAll', argument: list, expected: state, state: 'success' },
  ...(failure
    ? [{ matcher: 'pathAny', argument: list, expected: failure, state: 'failure' } as const]
    : []),
];
/** Success once the list is not empty; the not-found error means "not yet". */
const exists = (argument: string, notFound: string): readonly Acceptor[] => [
  { matcher: 'path', argument, expected: true, state: 'success' },
  { matcher: 'error', expected: notFound, state: 'retry' },
];

/** botocore's EC2 waiters for what kumod serves, by botocore's name. */
export const WAITERS: Readonly<Record<string, WaiterDefinition>> = {
  InstanceExists: {
    operation: 'DescribeInstances',
    acceptors: [
      {
        matcher: 'path',
        argument: 'length(Reservations[]) > `0`',
        expected: true,
        state: 'success',
      },
      NOT_FOUND_RETRIES,
    ],
  },
  InstanceRunning: {
    operation: 'DescribeInstances',
    acceptors: [
      stateIs('pathAll', 'running', 'success'),
      stateIs('pathAny', 'shutting-down', 'failure'),
      stateIs('pathAny', 'terminated', 'failure'),
      stateIs('pathAny', 'stopping', 'failure'),
      NOT_FOUND_RETRIES,
    ],
  },
  InstanceStopped: {
    operation: 'DescribeInstances',
    acceptors: [
      stateIs('pathAll', 'stopped', 'success'),
      stateIs('pathAny', 'pending', 'failure'),
      stateIs('pathAny', 'terminated', 'failure'),
    ],
  },
  InstanceTerminated: {
    operation: 'DescribeInstances',
    acceptors: [
      stateIs('pathAll', 'terminated', 'success'),
      stateIs('pathAny', 'pending', 'failure'),
      stateIs('pathAny', 'stopping', 'failure'),
    ],
  },
  InstanceStatusOk: {
    operation: 'DescribeInstanceStatus',
    acceptors: [
      {
        matcher: 'pathAll',
        argument: 'InstanceStatuses[].InstanceStatus.Status',
        expected: 'ok',
        state: 'success',
      },
      NOT_FOUND_RETRIES,
    ],
  },
  SystemStatusOk: {
    operation: 'DescribeInstanceStatus',
    acceptors: [
      {
        matcher: 'pathAll',
        argument: 'InstanceStatuses[].SystemStatus.Status',
        expected: 'ok',
        state: 'success',
      },
    ],
  },
  ImageAvailable: {
    operation: 'DescribeImages',
    acceptors: allIn('Images[].State', 'available', 'failed'),
  },
  ImageExists: {
    operation: 'DescribeImages',
    acceptors: exists('length(Images[]) > `0`', 'InvalidAMIID.NotFound'),
  },
  VolumeAvailable: {
    operation: 'DescribeVolumes',
    acceptors: allIn('Volumes[].State', 'available', 'deleted'),
  },
  VolumeDeleted: {
    operation: 'DescribeVolumes',
    acceptors: [
      ...allIn('Volumes[].State', 'deleted'),
      // kumo answers a deleted volume's id with this error, as EC2 does once it is gone.
      { matcher: 'error', expected: 'InvalidVolume.NotFound', state: 'success' },
    ],
  },
  VolumeInUse: {
    operation: 'DescribeVolumes',
    acceptors: allIn('Volumes[].State', 'in-use', 'deleted'),
  },
  SnapshotCompleted: {
    operation: 'DescribeSnapshots',
    acceptors: allIn('Snapshots[].State', 'completed', 'error'),
  },
  KeyPairExists: {
    operation: 'DescribeKeyPairs',
    acceptors: exists('length(KeyPairs[].KeyName) > `0`', 'InvalidKeyPair.NotFound'),
  },
  VpcAvailable: { operation: 'DescribeVpcs', acceptors: allIn('Vpcs[].State', 'available') },
  VpcExists: {
    operation: 'DescribeVpcs',
    acceptors: [
      { matcher: 'status', expected: 200, state: 'success' },
      { matcher: 'error', expected: 'InvalidVpcID.NotFound', state: 'retry' },
    ],
  },
  SubnetAvailable: {
    operation: 'DescribeSubnets',
    acceptors: allIn('Subnets[].State', 'available'),
  },
  SecurityGroupExists: {
    operation: 'DescribeSecurityGroups',
    acceptors: exists('length(SecurityGroups[].GroupId) > `0`', 'InvalidGroup.NotFound'),
  },
};

/** What one poll gave: the EC2-shaped response, or the EC2 error kumod answered with. */
export type PollOutcome =
  | { readonly response: unknown }
  | { readonly error: { readonly code: string; readonly message: string } };

/** Whether `acceptor` matches `outcome`, with botocore's rules (path matchers ignore errors). */
export function matches(acceptor: Acceptor, outcome: PollOutcome): boolean {
  // EC2 answers errors with 4xx/5xx: only a successful call is a 200.
  if (acceptor.matcher === 'status') return acceptor.expected === 200 && !('error' in outcome);
  if (acceptor.matcher === 'error') {
    if (acceptor.expected === true) return 'error' in outcome;
    if (acceptor.expected === false) return !('error' in outcome);
    return 'error' in outcome && outcome.error.code === acceptor.expected;
  }
  if ('error' in outcome) return false;
  const found = jmesSearch(outcome.response, acceptor.argument);
  const equal = (v: unknown) => isDeepStrictEqual(v, acceptor.expected);
  if (acceptor.matcher === 'path') return equal(found);
  // A list is required, and an empty one matches neither all nor any.
  if (!Array.isArray(found) || found.length === 0) return false;
  return acceptor.matcher === 'pathAll' ? found.every(equal) : found.some(equal);
}

/** The acceptor that decides this poll: the first that matches, or none (poll again). */
export function decidingAcceptor(
  waiter: WaiterDefinition,
  outcome: PollOutcome,
): Acceptor | undefined {
  return waiter.acceptors.find((a) => matches(a, outcome));
}
