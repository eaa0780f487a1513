import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeInstancesRequest,
  InstancesClient,
  RunInstancesRequest,
} from '../../src/gen/kumo/v1/instances.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';

let api: ApiServer;
let instances: InstancesClient;

beforeAll(async () => {
  api = await startApiServer();
  instances = new InstancesClient(api.address, credentials.createInsecure());
});
afterAll(() => api.close());

const run = (cloudInitSeed: string, dryRun = false) =>
  call(
    instances.runInstances.bind(instances),
    RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1, cloudInitSeed, dryRun }),
  );
const describeAll = async () =>
  (
    await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({}),
    )
  ).reservations.flatMap((r) => r.instances);

describe('RunInstances cloud_init_seed (kumo extension)', () => {
  it('launches with a NoCloud seed and says so in RunInstances and DescribeInstances', async () => {
    const launched = (await run('nocloud')).reservation?.instances[0];
    expect(launched?.cloudInitSeed).toBe('nocloud');
    const described = (await describeAll()).find((i) => i.instanceId === launched?.instanceId);
    expect(described?.cloudInitSeed).toBe('nocloud');
  });

  it('shows nothing (an empty field, omitted by the CLI) for a launch without one', async () => {
    for (const seed of ['', 'none']) {
      const launched = (await run(seed)).reservation?.instances[0];
      expect(launched?.cloudInitSeed).toBe('');
    }
  });

  it('refuses an unknown seed with InvalidParameterValue, on a dry run too, and launches nothing', async () => {
    const before = (await describeAll()).length;
    for (const dryRun of [false, true]) {
      const f = await failure(run('configdrive', dryRun));
      expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, ec2: 'InvalidParameterValue' });
      expect(f.details).toMatch(/CloudInitSeed.*none, nocloud/);
    }
    expect((await describeAll()).length).toBe(before);
  });

  it('answers a dry run with the seed as DryRunOperation', async () => {
    expect(await failure(run('nocloud', true))).toMatchObject({ ec2: 'DryRunOperation' });
  });
});
