import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeInstancesRequest,
  InstancesClient,
  ModifyInstanceAttributeRequest,
  RunInstancesRequest,
  StartInstancesRequest,
} from '../../src/gen/kumo/v1/instances.js';
import {
  DescribeInstanceTypesRequest,
  InstanceTypesClient,
} from '../../src/gen/kumo/v1/instance_types.js';
import {
  CreateKeyPairRequest,
  ImportKeyPairRequest,
  KeyPairsClient,
} from '../../src/gen/kumo/v1/key_pairs.js';
import { DescribeHostRequest, HostClient } from '../../src/gen/kumo/v1/host.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';

let api: ApiServer;
let instances: InstancesClient;
let types: InstanceTypesClient;
let keys: KeyPairsClient;
let host: HostClient;

beforeAll(async () => {
  api = await startApiServer();
  const creds = credentials.createInsecure();
  instances = new InstancesClient(api.address, creds);
  types = new InstanceTypesClient(api.address, creds);
  keys = new KeyPairsClient(api.address, creds);
  host = new HostClient(api.address, creds);
});

afterAll(() => api.close());

describe('gRPC API', () => {
  it('runs and describes instances in EC2 shape', async () => {
    const res = await call(
      instances.runInstances.bind(instances),
      RunInstancesRequest.fromPartial({
        instanceType: 't3.small',
        minCount: 2,
        maxCount: 2,
        userData: Buffer.from('#!/bin/sh\n'),
      }),
    );
    expect(res.reservation?.instances).toHaveLength(2);
    expect(res.reservation?.instances[0]?.state).toEqual({ code: 0, name: 'pending' });
    expect(res.reservation?.instances[0]?.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(api.kicked).toHaveLength(2);
    const d = await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({}),
    );
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
      call(
        instances.runInstances.bind(instances),
        RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1, ...over }),
      ),
    );
    expect(f).toMatchObject({ code, ec2 });
  });

  it('answers NOT_FOUND / FAILED_PRECONDITION for lifecycle calls', async () => {
    expect(
      await failure(
        call(
          instances.startInstances.bind(instances),
          StartInstancesRequest.fromPartial({ instanceIds: ['i-00000000000000000'] }),
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND, ec2: 'InvalidInstanceID.NotFound' });
    const [first] = api.deps.instances.list();
    expect(
      await failure(
        call(
          instances.modifyInstanceAttribute.bind(instances),
          ModifyInstanceAttributeRequest.fromPartial({
            instanceId: first!.id,
            instanceType: 't3.nano',
          }),
        ),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'IncorrectInstanceState' });
  });

  it('hides internal errors behind a reference id', async () => {
    const f = await failure(
      call(host.describeHost.bind(host), DescribeHostRequest.fromPartial({})),
    );
    expect(f.code).toBe(status.INTERNAL);
    expect(f.ec2).toBe('InternalError');
    expect(f.details).toMatch(/reference [0-9a-f]{12}/);
    expect(f.details).not.toContain('/secret/path');
  });

  it('creates key pairs once per name, rsa by default, and returns their tags', async () => {
    const k = await call(
      keys.createKeyPair.bind(keys),
      CreateKeyPairRequest.fromPartial({
        keyName: 'me',
        tagSpecifications: [{ resourceType: 'key-pair', tags: [{ key: 'team', value: 'a' }] }],
      }),
    );
    expect(k.keyMaterial).toContain('BEGIN FAKE rsa KEY');
    expect(k.keyPairId).toMatch(/^key-/);
    expect(k.tags).toEqual([{ key: 'team', value: 'a' }]);
    expect(api.deps.keyPairs.findByName('me')?.tags).toEqual([{ key: 'team', value: 'a' }]);
    const dup = await failure(
      call(keys.createKeyPair.bind(keys), CreateKeyPairRequest.fromPartial({ keyName: 'me' })),
    );
    expect(dup).toMatchObject({ code: status.ALREADY_EXISTS, ec2: 'InvalidKeyPair.Duplicate' });
    const bad = await failure(
      call(
        keys.importKeyPair.bind(keys),
        ImportKeyPairRequest.fromPartial({
          keyName: 'x',
          publicKeyMaterial: Buffer.from('nonsense'),
        }),
      ),
    );
    expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT, ec2: 'InvalidKey.Format' });
    const imported = await call(
      keys.importKeyPair.bind(keys),
      ImportKeyPairRequest.fromPartial({
        keyName: 'mine',
        publicKeyMaterial: Buffer.from('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA me'),
        tagSpecifications: [{ resourceType: 'key-pair', tags: [{ key: 'k', value: '' }] }],
      }),
    );
    expect(imported.tags).toEqual([{ key: 'k', value: '' }]);
  });

  it('describes the instance-type catalogue', async () => {
    const all = await call(
      types.describeInstanceTypes.bind(types),
      DescribeInstanceTypesRequest.fromPartial({}),
    );
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
    const m5d = await call(
      types.describeInstanceTypes.bind(types),
      DescribeInstanceTypesRequest.fromPartial({ instanceTypes: ['m5d.large'] }),
    );
    expect(m5d.instanceTypes[0]).toMatchObject({
      vCpuInfo: { defaultVcpus: 2 },
      memoryInfo: { sizeInMib: 8192 },
      instanceStorageSupported: true,
    });
  });
});

describe('without a usable descriptor set', () => {
  it('serves the API, says in the log that reflection is off, and why', async () => {
    const errors: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
    const logger = {
      info: () => undefined,
      warn: () => undefined,
      debug: () => undefined,
      error: (msg: string, fields?: Record<string, unknown>) => errors.push({ msg, fields }),
    };
    const bare = await startApiServer({ logger, descriptorSetPath: '/nonexistent/kumo.binpb' });
    try {
      const client = new InstancesClient(bare.address, credentials.createInsecure());
      const res = await call(
        client.describeInstances.bind(client),
        DescribeInstancesRequest.fromPartial({}),
      );
      expect(res.reservations).toEqual([]);
      client.close();
      expect(errors).toEqual([
        {
          msg: 'gRPC reflection is off: no usable descriptor set',
          fields: expect.objectContaining({ path: '/nonexistent/kumo.binpb' }),
        },
      ]);
    } finally {
      bare.close();
    }
  });
});
