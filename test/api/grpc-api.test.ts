import { credentials, Metadata, status, type Server, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcServer, listen } from '../../src/api/server.js';
import type { ApiContext } from '../../src/api/context.js';
import { EC2_ERROR_CODE_METADATA_KEY } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import {
  InstancesClient,
  type DescribeInstancesResponse,
  type RunInstancesResponse,
} from '../../src/gen/kumo/v1/instances.js';
import {
  InstanceTypesClient,
  type DescribeInstanceTypesResponse,
} from '../../src/gen/kumo/v1/instance_types.js';
import { KeyPairsClient, type CreateKeyPairResponse } from '../../src/gen/kumo/v1/key_pairs.js';
import { HostClient } from '../../src/gen/kumo/v1/host.js';
import { fakeComputeDeps, type FakeComputeDeps } from '../fakes/compute-deps.js';
import { FakeSshKeys } from '../fakes/fake-host.js';

/** The real gRPC server on a temp socket, with the domain wired to fakes of our own ports. */
let dir: string;
let server: Server;
let deps: FakeComputeDeps;
let instances: InstancesClient;
let types: InstanceTypesClient;
let keys: KeyPairsClient;
let host: HostClient;
const kicked: string[] = [];

/** Promisifies one unary call; the client method is bound by the caller. */
function call<Res>(
  fn: (req: any, cb: (err: ServiceError | null, res: Res) => void) => unknown,
  req: object,
): Promise<Res> {
  return new Promise((ok, fail) => fn(req, (err, res) => (err ? fail(err) : ok(res))));
}
async function failure(
  p: Promise<unknown>,
): Promise<{ code: status; ec2: string; details: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    return {
      code: err.code,
      ec2: String((err.metadata ?? new Metadata()).get(EC2_ERROR_CODE_METADATA_KEY)[0]),
      details: err.details,
    };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kumo-api-'));
  deps = fakeComputeDeps();
  const ctx: ApiContext = {
    compute: deps,
    sshKeys: new FakeSshKeys(),
    kick: (ids) => kicked.push(...ids),
    describeHost: () => Promise.reject(new Error('disk on fire at /secret/path')),
  };
  server = createGrpcServer(ctx, silentLogger, resolve(import.meta.dirname, '../../proto'));
  const address = `unix://${join(dir, 'kumo.sock')}`;
  await listen(server, address);
  const creds = credentials.createInsecure();
  instances = new InstancesClient(address, creds);
  types = new InstanceTypesClient(address, creds);
  keys = new KeyPairsClient(address, creds);
  host = new HostClient(address, creds);
});

afterAll(() => {
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('gRPC API', () => {
  it('runs and describes instances in EC2 shape', async () => {
    const res = await call<RunInstancesResponse>(instances.runInstances.bind(instances), {
      imageId: '',
      instanceType: 't3.small',
      keyName: '',
      minCount: 2,
      maxCount: 2,
      userData: Buffer.from('#!/bin/sh\n'),
      clientToken: '',
      tagSpecifications: [],
      subnetId: '',
    });
    expect(res.reservation?.instances).toHaveLength(2);
    expect(res.reservation?.instances[0]?.state).toEqual({ code: 0, name: 'pending' });
    expect(res.reservation?.instances[0]?.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(kicked).toHaveLength(2);
    const d = await call<DescribeInstancesResponse>(instances.describeInstances.bind(instances), {
      instanceIds: [],
      filters: [],
    });
    expect(d.reservations).toHaveLength(1);
    expect(d.reservations[0]?.instances[0]?.memoryMib).toBe(2048);
  });

  it.each([
    [{ imageId: 'ami-00000000000000000' }, status.NOT_FOUND, 'InvalidAMIID.NotFound'],
    [{ imageId: 'junk' }, status.INVALID_ARGUMENT, 'InvalidAMIID.Malformed'],
    [{ minCount: 0, maxCount: 0 }, status.INVALID_ARGUMENT, 'InvalidParameterValue'],
    [{ minCount: 40, maxCount: 40 }, status.RESOURCE_EXHAUSTED, 'InsufficientInstanceCapacity'],
  ])('maps %j to status %i and EC2 code %s', async (over, code, ec2) => {
    const f = await failure(
      call<RunInstancesResponse>(instances.runInstances.bind(instances), {
        imageId: '',
        instanceType: '',
        keyName: '',
        minCount: 1,
        maxCount: 1,
        userData: Buffer.alloc(0),
        clientToken: '',
        tagSpecifications: [],
        subnetId: '',
        ...over,
      }),
    );
    expect(f).toMatchObject({ code, ec2 });
  });

  it('answers NOT_FOUND / FAILED_PRECONDITION for lifecycle calls', async () => {
    expect(
      await failure(
        call(instances.startInstances.bind(instances), { instanceIds: ['i-00000000000000000'] }),
      ),
    ).toMatchObject({
      code: status.NOT_FOUND,
      ec2: 'InvalidInstanceID.NotFound',
    });
    const [first] = deps.instances.list();
    expect(
      await failure(
        call(instances.modifyInstanceAttribute.bind(instances), {
          instanceId: first!.id,
          instanceType: 't3.nano',
        }),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'IncorrectInstanceState' });
  });

  it('hides internal errors behind a reference id', async () => {
    const f = await failure(call(host.describeHost.bind(host), {}));
    expect(f.code).toBe(status.INTERNAL);
    expect(f.details).toMatch(/reference [0-9a-f]{12}/);
    expect(f.details).not.toContain('/secret/path');
  });

  it('creates key pairs once per name', async () => {
    const k = await call<CreateKeyPairResponse>(keys.createKeyPair.bind(keys), {
      keyName: 'me',
      keyType: '',
      tagSpecifications: [],
    });
    expect(k.keyMaterial).toContain('BEGIN');
    expect(k.keyPairId).toMatch(/^key-/);
    const dup = await failure(
      call<CreateKeyPairResponse>(keys.createKeyPair.bind(keys), {
        keyName: 'me',
        keyType: '',
        tagSpecifications: [],
      }),
    );
    expect(dup).toMatchObject({ code: status.ALREADY_EXISTS, ec2: 'InvalidKeyPair.Duplicate' });
    const bad = await failure(
      call(keys.importKeyPair.bind(keys), {
        keyName: 'x',
        publicKeyMaterial: Buffer.from('nonsense'),
        tagSpecifications: [],
      }),
    );
    expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT, ec2: 'InvalidKey.Format' });
  });

  it('describes the instance-type catalogue', async () => {
    const all = await call<DescribeInstanceTypesResponse>(types.describeInstanceTypes.bind(types), {
      instanceTypes: [],
      filters: [],
    });
    const names = all.instanceTypes.map((t) => t.instanceType);
    expect(names).toEqual(
      expect.arrayContaining([
        't3.nano',
        't3.2xlarge',
        'm5.large',
        'c5.large',
        'r5.large',
        'm5d.large',
        'c5d.large',
      ]),
    );
    const m5d = await call<DescribeInstanceTypesResponse>(types.describeInstanceTypes.bind(types), {
      instanceTypes: ['m5d.large'],
      filters: [],
    });
    expect(m5d.instanceTypes[0]).toMatchObject({
      vCpuInfo: { defaultVcpus: 2 },
      memoryInfo: { sizeInMib: 8192 },
      instanceStorageSupported: true,
    });
  });
});
