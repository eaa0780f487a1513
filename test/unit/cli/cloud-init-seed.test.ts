import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunInstancesRequest } from '../../../src/gen/kumo/v1/instances.js';
import { kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/** run-instances --cloud-init-seed (kumo extension) through main() against a fake kumod. */
let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const runs = () => (fake.seen.runInstances ?? []) as RunInstancesRequest[];

beforeAll(async () => {
  fake = await startFakeKumod({
    runInstances: () => ({
      reservation: { reservationId: 'r-1', ownerId: 'kumo', instances: [], groups: [] },
    }),
  });
});
afterAll(() => fake.close());

describe('run-instances --cloud-init-seed', () => {
  it('sends nocloud and none as given, and nothing when the flag is absent', async () => {
    await kumo('run-instances', '--cloud-init-seed', 'nocloud');
    await kumo('run-instances', '--cloud-init-seed', 'none');
    await kumo('run-instances');
    expect(
      runs()
        .slice(-3)
        .map((r) => r.cloudInitSeed),
    ).toEqual(['nocloud', 'none', '']);
  });

  it('refuses another value before calling kumod, naming the choices', async () => {
    const before = runs().length;
    const r = await kumo('run-instances', '--cloud-init-seed', 'configdrive');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/none, nocloud/);
    expect(runs()).toHaveLength(before);
  });

  it('documents the flag as a kumo extension in --help', async () => {
    const r = await kumo('run-instances', '--help');
    expect(r.stdout).toMatch(/--cloud-init-seed <seed>\s+kumo extension: nocloud/);
  });
});
