import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StopInstancesRequest } from '../../../src/gen/kumo/v1/instances.js';
import { kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/**
 * stop-instances' --force and --hibernate, and what reboot-instances and
 * modify-instance-attribute print, through main() against a fake kumod. The output is compared
 * with aws-cli's in commands-aws.test.ts.
 */
let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const stops = () => (fake.seen.stopInstances ?? []) as StopInstancesRequest[];
const STOP = ['stop-instances', '--instance-ids', 'i-1'];

beforeAll(async () => {
  fake = await startFakeKumod({
    stopInstances: () => ({ stoppingInstances: [] }),
    rebootInstances: () => ({}),
    modifyInstanceAttribute: () => ({}),
  });
});
afterAll(() => fake.close());

describe('stop-instances', () => {
  it('sends --force, and --no-force undoes it', async () => {
    await kumo(...STOP, '--force');
    expect(stops().at(-1)?.force).toBe(true);
    await kumo(...STOP, '--force', '--no-force');
    expect(stops().at(-1)?.force).toBe(false);
  });

  it('refuses --hibernate (from the command line or JSON) as a usage error, before calling', async () => {
    const before = stops().length;
    for (const args of [['--hibernate'], ['--cli-input-json', '{"Hibernate":true}']]) {
      expect(await kumo(...STOP, ...args)).toEqual({
        code: 252,
        stdout: '',
        stderr:
          'kumo instances cannot hibernate (kumo has no hibernation); stop them without --hibernate\n',
      });
    }
    expect(stops()).toHaveLength(before);
  });

  it('takes --no-hibernate and Hibernate false as the plain stop they are', async () => {
    expect((await kumo(...STOP, '--no-hibernate')).code).toBe(0);
    expect((await kumo(...STOP, '--cli-input-json', '{"Hibernate":false}')).code).toBe(0);
  });
});

describe('commands that return nothing', () => {
  const modify = [
    'modify-instance-attribute',
    '--instance-id',
    'i-1',
    '--instance-type',
    't3.small',
  ];

  it.each([['reboot-instances', '--instance-ids', 'i-1'], modify])(
    '%s prints nothing, in any format',
    async (...args) => {
      for (const output of ['json', 'text', 'table'])
        expect(await kumo(...args, '--output', output)).toEqual({
          code: 0,
          stdout: '',
          stderr: '',
        });
    },
  );

  it.each([['reboot-instances', '--instance-ids', 'i-1'], modify])(
    '%s gives --query an empty response, as aws-cli does',
    async (...args) => {
      expect((await kumo(...args, '--query', 'x')).stdout).toBe('null\n');
      expect((await kumo(...args, '--query', 'x', '--output', 'text')).stdout).toBe('None\n');
    },
  );
});
