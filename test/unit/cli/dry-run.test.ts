import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ec2Error, kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/**
 * --dry-run / --no-dry-run on every command whose call kumod can check without acting, through
 * main() against a fake kumod that answers a dry run as kumod does (DryRunOperation).
 */
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';

/** Each command with the arguments it needs, the RPC it makes and its EC2 operation. */
const COMMANDS: readonly [string[], string, string][] = [
  [['run-instances'], 'runInstances', 'RunInstances'],
  [['start-instances', '--instance-ids', 'i-1'], 'startInstances', 'StartInstances'],
  [['stop-instances', '--instance-ids', 'i-1'], 'stopInstances', 'StopInstances'],
  [['reboot-instances', '--instance-ids', 'i-1'], 'rebootInstances', 'RebootInstances'],
  [['terminate-instances', '--instance-ids', 'i-1'], 'terminateInstances', 'TerminateInstances'],
  [
    ['modify-instance-attribute', '--instance-id', 'i-1', '--instance-type', 't3.small'],
    'modifyInstanceAttribute',
    'ModifyInstanceAttribute',
  ],
  [['create-key-pair', '--key-name', 'k'], 'createKeyPair', 'CreateKeyPair'],
  [
    ['import-key-pair', '--key-name', 'k', '--public-key-material', KEY],
    'importKeyPair',
    'ImportKeyPair',
  ],
  [['delete-key-pair', '--key-name', 'k'], 'deleteKeyPair', 'DeleteKeyPair'],
];

let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const lastDryRun = (rpc: string) => (fake.seen[rpc]?.at(-1) as { dryRun: boolean }).dryRun;

/** kumod's answers: DryRunOperation for a dry run, an empty success otherwise. */
const answer = (request: unknown) => {
  if ((request as { dryRun: boolean }).dryRun)
    throw ec2Error(
      'DryRunOperation',
      status.FAILED_PRECONDITION,
      'Request would have succeeded, but DryRun flag is set.',
    );
  return {};
};

beforeAll(async () => {
  fake = await startFakeKumod(Object.fromEntries(COMMANDS.map(([, rpc]) => [rpc, answer])));
});
afterAll(() => fake.close());

describe.each(COMMANDS)('%j', (args, rpc, operation) => {
  it('sends dry_run with --dry-run and prints DryRunOperation as aws-cli does, exit 254', async () => {
    expect(await kumo(...args, '--dry-run')).toEqual({
      code: 254,
      stdout: '',
      stderr: `An error occurred (DryRunOperation) when calling the ${operation} operation: Request would have succeeded, but DryRun flag is set.\n`,
    });
    expect(lastDryRun(rpc)).toBe(true);
  });

  it('makes the change without it, with --no-dry-run, and when the last flag says so', async () => {
    for (const flags of [[], ['--no-dry-run'], ['--dry-run', '--no-dry-run']]) {
      expect((await kumo(...args, ...flags)).code, flags.join(' ')).toBe(0);
      expect(lastDryRun(rpc)).toBe(false);
    }
  });

  it('takes DryRun from --cli-input-json, where botocore has it', async () => {
    expect((await kumo(...args, '--cli-input-json', '{"DryRun":true}')).code).toBe(254);
    expect(lastDryRun(rpc)).toBe(true);
  });
});
