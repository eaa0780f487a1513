import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GUEST_INITIALIZING_MS } from '../../src/compute/describe-instances.js';
import type { Instance } from '../../src/compute/instance.js';
import { newId } from '../../src/core/ids.js';
import { DescribeImagesRequest, ImagesClient } from '../../src/gen/kumo/v1/images.js';
import {
  DescribeInstanceTypesRequest,
  InstanceTypesClient,
} from '../../src/gen/kumo/v1/instance_types.js';
import {
  DescribeInstancesRequest,
  DescribeInstanceStatusRequest,
  InstancesClient,
  ModifyInstanceAttributeRequest,
  RebootInstancesRequest,
  RunInstancesRequest,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '../../src/gen/kumo/v1/instances.js';
import {
  CreateKeyPairRequest,
  DeleteKeyPairRequest,
  ImportKeyPairRequest,
  KeyPairsClient,
} from '../../src/gen/kumo/v1/key_pairs.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';

/** DryRun, MaxResults/NextToken and DescribeInstanceStatus as EC2 defines them. */
let api: ApiServer;
let instances: InstancesClient;
let images: ImagesClient;
let types: InstanceTypesClient;
let keys: KeyPairsClient;

const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3M1hYEKCwAatm3HAQ0ytlPdIwaP2Kbo7xHl1YWnC1d me';
const DRY_RUN = { code: status.FAILED_PRECONDITION, ec2: 'DryRunOperation' };

beforeAll(async () => {
  api = await startApiServer();
  const creds = credentials.createInsecure();
  instances = new InstancesClient(api.address, creds);
  images = new ImagesClient(api.address, creds);
  types = new InstanceTypesClient(api.address, creds);
  keys = new KeyPairsClient(api.address, creds);
});

afterAll(() => api.close());

/** Instance rows launched `n` seconds apart, without QEMU (stopped: they hold no capacity). */
function addStopped(count: number, template: Instance): Instance[] {
  return Array.from({ length: count }, (_, n) => {
    const i: Instance = {
      ...template,
      id: newId('i'),
      reservationId: newId('r'),
      state: 'stopped',
      runtime: undefined,
      launchTime: new Date(template.launchTime.getTime() + (n + 1) * 1000),
    };
    api.deps.instances.put(i);
    return i;
  });
}

describe('DryRun', () => {
  let running: Instance;
  let stopped: Instance;

  beforeAll(async () => {
    const res = await call(
      instances.runInstances.bind(instances),
      RunInstancesRequest.fromPartial({ minCount: 2, maxCount: 2 }),
    );
    const [a, b] = res.reservation!.instances.map((i) => api.deps.instances.get(i.instanceId)!);
    running = { ...a!, state: 'running' };
    stopped = { ...b!, state: 'stopped' };
    api.deps.instances.put(running);
    api.deps.instances.put(stopped);
  });

  it('RunInstances: DryRunOperation when it would launch, nothing launched', async () => {
    const before = api.deps.instances.list().length;
    expect(
      await failure(
        call(
          instances.runInstances.bind(instances),
          RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1, dryRun: true }),
        ),
      ),
    ).toMatchObject(DRY_RUN);
    expect(
      await failure(
        call(
          instances.runInstances.bind(instances),
          RunInstancesRequest.fromPartial({
            instanceType: 'z9.huge',
            minCount: 1,
            maxCount: 1,
            dryRun: true,
          }),
        ),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, ec2: 'InvalidParameterValue' });
    expect(api.deps.instances.list()).toHaveLength(before);
  });

  it('Start/Stop/Reboot/TerminateInstances and ModifyInstanceAttribute change nothing', async () => {
    const snapshot = () => api.deps.instances.list().map((i) => [i.id, i.state, i.instanceType]);
    const before = snapshot();
    const reboots = () =>
      [...api.deps.hypervisor.vms.values()].reduce((n, vm) => n + vm.reboots, 0);
    const rebootsBefore = reboots();
    const dry = [
      call(
        instances.startInstances.bind(instances),
        StartInstancesRequest.fromPartial({ instanceIds: [stopped.id], dryRun: true }),
      ),
      call(
        instances.stopInstances.bind(instances),
        StopInstancesRequest.fromPartial({ instanceIds: [running.id], dryRun: true }),
      ),
      call(
        instances.rebootInstances.bind(instances),
        RebootInstancesRequest.fromPartial({ instanceIds: [running.id], dryRun: true }),
      ),
      call(
        instances.terminateInstances.bind(instances),
        TerminateInstancesRequest.fromPartial({ instanceIds: [running.id], dryRun: true }),
      ),
      call(
        instances.modifyInstanceAttribute.bind(instances),
        ModifyInstanceAttributeRequest.fromPartial({
          instanceId: stopped.id,
          instanceType: 't3.nano',
          dryRun: true,
        }),
      ),
    ];
    for (const p of dry) expect(await failure(p)).toMatchObject(DRY_RUN);
    expect(snapshot()).toEqual(before);
    expect(reboots()).toBe(rebootsBefore);
  });

  it('answers the error the real call would give when it would fail', async () => {
    expect(
      await failure(
        call(
          instances.terminateInstances.bind(instances),
          TerminateInstancesRequest.fromPartial({
            instanceIds: ['i-00000000000000000'],
            dryRun: true,
          }),
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND, ec2: 'InvalidInstanceID.NotFound' });
    expect(
      await failure(
        call(
          instances.rebootInstances.bind(instances),
          RebootInstancesRequest.fromPartial({ instanceIds: [stopped.id], dryRun: true }),
        ),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'IncorrectInstanceState' });
    expect(
      await failure(
        call(
          instances.modifyInstanceAttribute.bind(instances),
          ModifyInstanceAttributeRequest.fromPartial({
            instanceId: running.id,
            instanceType: 't3.nano',
            dryRun: true,
          }),
        ),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'IncorrectInstanceState' });
  });

  it('CreateKeyPair, ImportKeyPair and DeleteKeyPair', async () => {
    await call(
      keys.createKeyPair.bind(keys),
      CreateKeyPairRequest.fromPartial({ keyName: 'kept' }),
    );
    for (const p of [
      call(
        keys.createKeyPair.bind(keys),
        CreateKeyPairRequest.fromPartial({ keyName: 'new', dryRun: true }),
      ),
      call(
        keys.importKeyPair.bind(keys),
        ImportKeyPairRequest.fromPartial({
          keyName: 'new',
          publicKeyMaterial: Buffer.from(ED25519),
          dryRun: true,
        }),
      ),
      call(
        keys.deleteKeyPair.bind(keys),
        DeleteKeyPairRequest.fromPartial({ keyName: 'kept', dryRun: true }),
      ),
    ]) {
      expect(await failure(p)).toMatchObject(DRY_RUN);
    }
    expect(api.deps.keyPairs.list().map((k) => k.name)).toEqual(['kept']);
    expect(
      await failure(
        call(
          keys.createKeyPair.bind(keys),
          CreateKeyPairRequest.fromPartial({ keyName: 'kept', dryRun: true }),
        ),
      ),
    ).toMatchObject({ code: status.ALREADY_EXISTS, ec2: 'InvalidKeyPair.Duplicate' });
  });
});

describe('MaxResults and NextToken', () => {
  const describeAll = async (req: Partial<DescribeInstancesRequest>) => {
    const ids: string[] = [];
    let nextToken = '';
    let pages = 0;
    do {
      const res = await call(
        instances.describeInstances.bind(instances),
        DescribeInstancesRequest.fromPartial({ ...req, nextToken }),
      );
      ids.push(...res.reservations.flatMap((r) => r.instances.map((i) => i.instanceId)));
      nextToken = res.nextToken;
      pages++;
    } while (nextToken);
    return { ids, pages };
  };

  beforeEach(() => {
    for (const i of api.deps.instances.list()) api.deps.instances.delete(i.id);
  });

  it('pages DescribeInstances in launch order, every instance once', async () => {
    const template = (
      await call(
        instances.runInstances.bind(instances),
        RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1 }),
      )
    ).reservation!.instances[0]!;
    addStopped(11, api.deps.instances.get(template.instanceId)!);
    const all = await describeAll({});
    expect(all.pages).toBe(1);
    expect(all.ids).toHaveLength(12);
    const paged = await describeAll({ maxResults: 5 });
    expect(paged).toEqual({ ids: all.ids, pages: 3 });
  });

  it('keeps its place when instances go away between pages', async () => {
    const first = (
      await call(
        instances.runInstances.bind(instances),
        RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1 }),
      )
    ).reservation!.instances[0]!;
    const rest = addStopped(9, api.deps.instances.get(first.instanceId)!);
    const page1 = await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({ maxResults: 5 }),
    );
    api.deps.instances.delete(first.instanceId);
    api.deps.instances.delete(rest[0]!.id);
    const page2 = await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({ maxResults: 5, nextToken: page1.nextToken }),
    );
    expect(page2.reservations.flatMap((r) => r.instances.map((i) => i.instanceId))).toEqual(
      rest.slice(4).map((i) => i.id),
    );
    expect(page2.nextToken).toBe('');
  });

  it.each([
    [{ maxResults: 4 }, 'InvalidParameterValue'],
    [{ maxResults: 1001 }, 'InvalidParameterValue'],
    [{ maxResults: 5, instanceIds: ['i-00000000000000001'] }, 'InvalidParameterCombination'],
    [{ nextToken: 'garbage' }, 'InvalidPaginationToken'],
  ])('refuses DescribeInstances %j with %s', async (req, ec2) => {
    expect(
      await failure(
        call(
          instances.describeInstances.bind(instances),
          DescribeInstancesRequest.fromPartial(req),
        ),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, ec2 });
  });

  it('refuses a token for another request or another operation', async () => {
    const template = (
      await call(
        instances.runInstances.bind(instances),
        RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1 }),
      )
    ).reservation!.instances[0]!;
    addStopped(6, api.deps.instances.get(template.instanceId)!);
    const { nextToken } = await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({ maxResults: 5 }),
    );
    expect(nextToken).not.toBe('');
    expect(
      await failure(
        call(
          instances.describeInstances.bind(instances),
          DescribeInstancesRequest.fromPartial({
            maxResults: 5,
            nextToken,
            filters: [{ name: 'instance-state-name', values: ['stopped'] }],
          }),
        ),
      ),
    ).toMatchObject({ ec2: 'InvalidPaginationToken' });
    expect(
      await failure(
        call(
          types.describeInstanceTypes.bind(types),
          DescribeInstanceTypesRequest.fromPartial({ maxResults: 5, nextToken }),
        ),
      ),
    ).toMatchObject({ ec2: 'InvalidPaginationToken' });
  });

  it('pages DescribeInstanceTypes within EC2 limits (5 to 100) in catalogue order', async () => {
    const all = (
      await call(
        types.describeInstanceTypes.bind(types),
        DescribeInstanceTypesRequest.fromPartial({}),
      )
    ).instanceTypes.map((t) => t.instanceType);
    const paged: string[] = [];
    let nextToken = '';
    do {
      const res = await call(
        types.describeInstanceTypes.bind(types),
        DescribeInstanceTypesRequest.fromPartial({ maxResults: 7, nextToken }),
      );
      expect(res.instanceTypes.length).toBeLessThanOrEqual(7);
      paged.push(...res.instanceTypes.map((t) => t.instanceType));
      nextToken = res.nextToken;
    } while (nextToken);
    expect(paged).toEqual(all);
    expect(
      await failure(
        call(
          types.describeInstanceTypes.bind(types),
          DescribeInstanceTypesRequest.fromPartial({ maxResults: 101 }),
        ),
      ),
    ).toMatchObject({ ec2: 'InvalidParameterValue' });
  });

  it('pages DescribeImages', async () => {
    const res = await call(
      images.describeImages.bind(images),
      DescribeImagesRequest.fromPartial({ maxResults: 1 }),
    );
    expect(res.images).toHaveLength(1);
    expect(res.nextToken).toBe('');
  });
});

describe('DescribeInstanceStatus', () => {
  let running: Instance;
  let stopped: Instance;

  const statuses = async (req: Partial<DescribeInstanceStatusRequest> = {}) =>
    (
      await call(
        instances.describeInstanceStatus.bind(instances),
        DescribeInstanceStatusRequest.fromPartial(req),
      )
    ).instanceStatuses;

  beforeAll(async () => {
    for (const i of api.deps.instances.list()) api.deps.instances.delete(i.id);
    const res = await call(
      instances.runInstances.bind(instances),
      RunInstancesRequest.fromPartial({ minCount: 2, maxCount: 2 }),
    );
    const [a, b] = res.reservation!.instances.map((i) => api.deps.instances.get(i.instanceId)!);
    running = { ...a!, state: 'running' };
    stopped = { ...b!, state: 'stopped', runtime: undefined };
    api.deps.instances.put(running);
    api.deps.instances.put(stopped);
  });

  it('lists running instances only, unless all are asked for', async () => {
    expect((await statuses()).map((s) => s.instanceId)).toEqual([running.id]);
    const all = await statuses({ includeAllInstances: true });
    expect(all.map((s) => s.instanceId)).toEqual([running.id, stopped.id]);
    expect(all[1]).toMatchObject({
      instanceState: { code: 80, name: 'stopped' },
      instanceStatus: { status: 'not-applicable', details: [] },
      systemStatus: { status: 'not-applicable', details: [] },
      availabilityZone: 'kumo-local-1a',
    });
  });

  it('reports the VM at once and the guest as initializing, then ok', async () => {
    const [s] = await statuses();
    expect(s).toMatchObject({
      systemStatus: { status: 'ok', details: [{ name: 'reachability', status: 'passed' }] },
      instanceStatus: {
        status: 'initializing',
        details: [{ name: 'reachability', status: 'initializing' }],
      },
    });
    api.deps.clock.advance(GUEST_INITIALIZING_MS);
    expect((await statuses())[0]?.instanceStatus?.status).toBe('ok');
  });

  it('reports a VM that stopped running its vCPUs as impaired, and filters on it', async () => {
    const vm = api.deps.hypervisor.vms.get(running.runtime!.pid)!;
    vm.status = 'paused';
    try {
      expect((await statuses())[0]).toMatchObject({
        systemStatus: { status: 'impaired', details: [{ status: 'failed' }] },
        instanceStatus: { status: 'impaired' },
      });
      const impaired = await statuses({
        includeAllInstances: true,
        filters: [{ name: 'system-status.status', values: ['impaired'] }],
      });
      expect(impaired.map((s) => s.instanceId)).toEqual([running.id]);
    } finally {
      vm.status = 'running';
    }
  });

  it('fails like DescribeInstances on unknown ids, unknown filters and paging mistakes', async () => {
    expect(await failure(statuses({ instanceIds: ['i-00000000000000000'] }))).toMatchObject({
      code: status.NOT_FOUND,
      ec2: 'InvalidInstanceID.NotFound',
    });
    expect(await failure(statuses({ filters: [{ name: 'colour', values: ['x'] }] }))).toMatchObject(
      {
        ec2: 'InvalidParameterValue',
      },
    );
    expect(await failure(statuses({ instanceIds: [running.id], maxResults: 5 }))).toMatchObject({
      ec2: 'InvalidParameterCombination',
    });
  });
});
