import { credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPascalCase } from '../../src/cli/pascal-case.js';
import { GUEST_INITIALIZING_MS } from '../../src/compute/describe-instances.js';
import { REASONS, type Instance } from '../../src/compute/instance.js';
import { DescribeImagesRequest, ImagesClient } from '../../src/gen/kumo/v1/images.js';
import {
  DescribeInstanceTypesRequest,
  InstanceTypesClient,
} from '../../src/gen/kumo/v1/instance_types.js';
import {
  DescribeInstancesRequest,
  DescribeInstanceStatusRequest,
  GetConsoleOutputRequest,
  InstancesClient,
  RunInstancesRequest,
  StartInstancesRequest,
  StopInstancesRequest,
  TerminateInstancesRequest,
} from '../../src/gen/kumo/v1/instances.js';
import {
  CreateKeyPairRequest,
  DeleteKeyPairRequest,
  DescribeKeyPairsRequest,
  ImportKeyPairRequest,
  KeyPairsClient,
} from '../../src/gen/kumo/v1/key_pairs.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call } from './support/calls.js';

/**
 * kumo's responses, converted as the CLI prints them (src/cli/pascal-case.ts), checked against
 * EC2's output shapes from botocore's model (fixtures/ec2-shapes.json, extracted by
 * fixtures/extract-ec2-shapes.py): every key kumo emits that EC2 has must have EC2's type and,
 * for enums, one of EC2's values. Keys EC2 does not have are kumo extensions and must be listed.
 */

interface ShapeRef {
  readonly shape: string;
}
interface Shape {
  readonly type: string;
  readonly members?: Record<string, ShapeRef>;
  readonly member?: ShapeRef;
  readonly enum?: string[];
  readonly min?: number;
  readonly max?: number;
}
const model = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/ec2-shapes.json'), 'utf8'),
) as {
  outputs: Record<string, string>;
  shapes: Record<string, Shape>;
};

/** Keys kumo adds to EC2's shapes, by shape: documented in docs/api.md as extensions. */
const EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  // MacAddress predates NetworkInterfaces (where EC2 has it) and stays for kumo's clients.
  Instance: ['MemoryMib', 'DefaultUser', 'Accelerator', 'MacAddress', 'CloudInitSeed'],
  Image: ['DefaultUser', 'SizeInBytes'],
  // What the guest really gets of a type's instance store (EC2's size scaled down to tmpfs).
  DiskInfo: ['SizeInMiB'],
  InstanceStorageInfo: ['TotalSizeInMiB'],
};

/** Where `value` breaks `shapeName`, as "path: problem" lines (empty when it conforms). */
function violations(value: unknown, shapeName: string, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${path}: expected an object (${shapeName})`];
      return Object.entries(value).flatMap(([k, v]) => {
        const member = shape.members?.[k];
        if (member) return violations(v, member.shape, `${path}.${k}`);
        return EXTENSIONS[shapeName]?.includes(k)
          ? []
          : [`${path}.${k}: not in EC2's ${shapeName} and not a listed kumo extension`];
      });
    }
    case 'list':
      if (!Array.isArray(value)) return [`${path}: expected a list (${shapeName})`];
      return value.flatMap((v, i) => violations(v, shape.member!.shape, `${path}[${i}]`));
    case 'string':
      if (typeof value !== 'string') return [`${path}: expected a string (${shapeName})`];
      return shape.enum && !shape.enum.includes(value)
        ? [`${path}: '${value}' is not one of EC2's ${shapeName}: ${shape.enum.join(', ')}`]
        : [];
    case 'integer':
    case 'long':
      if (!Number.isInteger(value)) return [`${path}: expected an integer (${shapeName})`];
      if (shape.min !== undefined && (value as number) < shape.min)
        return [`${path}: below ${shape.min}`];
      if (shape.max !== undefined && (value as number) > shape.max)
        return [`${path}: above ${shape.max}`];
      return [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean (${shapeName})`];
    case 'timestamp':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
        ? []
        : [`${path}: expected an ISO timestamp (${shapeName})`];
    case 'blob':
      return typeof value === 'string' ? [] : [`${path}: expected base64 (${shapeName})`];
    default:
      return [`${path}: no check for type ${shape.type}`];
  }
}

/** What the CLI prints for an operation's response, checked against EC2's output shape. */
const expectEc2Shape = (operation: string, response: unknown): Record<string, unknown> => {
  const printed = toPascalCase(response) as Record<string, unknown>;
  expect(violations(printed, model.outputs[operation]!)).toEqual([]);
  return printed;
};

const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3M1hYEKCwAatm3HAQ0ytlPdIwaP2Kbo7xHl1YWnC1d me';

let api: ApiServer;
let instances: InstancesClient;
let images: ImagesClient;
let types: InstanceTypesClient;
let keys: KeyPairsClient;
let launched: string[];

beforeAll(async () => {
  api = await startApiServer();
  const creds = credentials.createInsecure();
  instances = new InstancesClient(api.address, creds);
  images = new ImagesClient(api.address, creds);
  types = new InstanceTypesClient(api.address, creds);
  keys = new KeyPairsClient(api.address, creds);
});

afterAll(() => api.close());

describe('responses as the CLI prints them follow EC2 output shapes', () => {
  it('the validator itself refuses what EC2 would not send', () => {
    expect(violations({ Hypervisor: 'qemu' }, 'Instance')).toEqual([
      "$.Hypervisor: 'qemu' is not one of EC2's HypervisorType: ovm, xen",
    ]);
    expect(violations({ Colour: 'red' }, 'Instance')).toEqual([
      "$.Colour: not in EC2's Instance and not a listed kumo extension",
    ]);
    expect(violations({ AmiLaunchIndex: '0' }, 'Instance')).toEqual([
      '$.AmiLaunchIndex: expected an integer (Integer)',
    ]);
    expect(violations({ Placement: { Tenancy: 'shared' } }, 'Instance')).toHaveLength(1);
  });

  it('RunInstances (the reservation the CLI prints)', async () => {
    await call(keys.createKeyPair.bind(keys), CreateKeyPairRequest.fromPartial({ keyName: 'me' }));
    const res = await call(
      instances.runInstances.bind(instances),
      RunInstancesRequest.fromPartial({
        keyName: 'me',
        minCount: 4,
        maxCount: 4,
        tagSpecifications: [{ resourceType: 'instance', tags: [{ key: 'Name', value: 'web' }] }],
      }),
    );
    launched = res.reservation!.instances.map((i) => i.instanceId);
    expectEc2Shape('RunInstances', res.reservation);
  });

  it('DescribeInstances with instances in every state, and the fields aws-cli users read', async () => {
    const [running, stopped, terminated] = launched.map((id) => api.deps.instances.get(id)!) as [
      Instance,
      Instance,
      Instance,
    ];
    api.deps.instances.put({ ...running, state: 'running', stateReason: undefined });
    api.deps.instances.put({ ...stopped, state: 'stopped', stateReason: REASONS.userStop });
    api.deps.instances.put({ ...terminated, state: 'terminated', terminatedAt: new Date() });
    const printed = expectEc2Shape(
      'DescribeInstances',
      await call(
        instances.describeInstances.bind(instances),
        DescribeInstancesRequest.fromPartial({}),
      ),
    );
    const [reservation] = printed.Reservations as Record<string, unknown>[];
    const byId = new Map(
      (reservation!.Instances as Record<string, any>[]).map((i) => [i.InstanceId as string, i]),
    );
    const r = byId.get(running.id)!;
    expect(r).toMatchObject({
      Placement: { AvailabilityZone: 'kumo-local-1a', Tenancy: 'default' },
      PrivateDnsName: `ip-${running.network!.privateIp.replaceAll('.', '-')}.kumo.internal`,
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/vda',
      VirtualizationType: 'hvm',
      Hypervisor: 'xen',
      Monitoring: { State: 'disabled' },
      MetadataOptions: {
        State: 'applied',
        HttpTokens: 'optional',
        HttpEndpoint: 'enabled',
        InstanceMetadataTags: 'disabled',
      },
      SecurityGroups: [
        { GroupName: 'default', GroupId: expect.stringMatching(/^sg-[0-9a-f]{17}$/) },
      ],
      BlockDeviceMappings: [
        { DeviceName: '/dev/vda', Ebs: { Status: 'attached', DeleteOnTermination: true } },
      ],
    });
    const eni = (r.NetworkInterfaces as Record<string, any>[])[0]!;
    expect(eni).toMatchObject({
      NetworkInterfaceId: expect.stringMatching(/^eni-[0-9a-f]{17}$/),
      Status: 'in-use',
      MacAddress: running.network!.mac,
      PrivateIpAddress: running.network!.privateIp,
      SubnetId: running.network!.subnetId,
      VpcId: running.network!.vpcId,
      SourceDestCheck: true,
      Attachment: { DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true },
      PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: running.network!.privateIp }],
      Groups: r.SecurityGroups,
    });
    // The default VPC has DNS hostnames, so the public address has EC2's public DNS name.
    const publicIp = running.network!.publicIp!;
    expect(publicIp).toMatch(/^100\.80\./);
    const publicDnsName = `ec2-${publicIp.replaceAll('.', '-')}.compute.kumo.internal`;
    expect(r.PublicDnsName).toBe(publicDnsName);
    expect(eni.Association).toEqual({
      IpOwnerId: 'kumo',
      PublicIp: publicIp,
      PublicDnsName: publicDnsName,
    });
    expect(eni.PrivateIpAddresses[0].Association).toEqual(eni.Association);
    // A stopped instance keeps its interface and disk, without a public address.
    expect(byId.get(stopped.id)!.NetworkInterfaces[0].Association).toBeUndefined();
    expect(byId.get(stopped.id)!.BlockDeviceMappings).toHaveLength(1);
    // A terminated one has neither (EC2 lists none).
    expect(byId.get(terminated.id)!.NetworkInterfaces).toBeUndefined();
    expect(byId.get(terminated.id)!.BlockDeviceMappings).toBeUndefined();
  });

  it('DescribeInstanceStatus, with every summary status kumo reports', async () => {
    const seen = new Set<string>();
    const describe = async () => {
      const printed = expectEc2Shape(
        'DescribeInstanceStatus',
        await call(
          instances.describeInstanceStatus.bind(instances),
          DescribeInstanceStatusRequest.fromPartial({ includeAllInstances: true }),
        ),
      );
      for (const s of printed.InstanceStatuses as Record<string, any>[]) {
        seen.add(s.InstanceStatus.Status as string).add(s.SystemStatus.Status as string);
      }
    };
    await describe(); // the running guest is still initializing
    api.deps.clock.advance(GUEST_INITIALIZING_MS);
    await describe(); // now ok
    const running = api.deps.instances.get(launched[0]!)!;
    api.deps.hypervisor.vms.get(running.runtime!.pid)!.status = 'paused';
    await describe(); // impaired
    api.deps.hypervisor.vms.get(running.runtime!.pid)!.status = 'running';
    expect([...seen].sort()).toEqual(['impaired', 'initializing', 'not-applicable', 'ok']);
  });

  it('Start/Stop/TerminateInstances and GetConsoleOutput', async () => {
    const [running, stopped, , pending] = launched as [string, string, string, string];
    expectEc2Shape(
      'StartInstances',
      await call(
        instances.startInstances.bind(instances),
        StartInstancesRequest.fromPartial({ instanceIds: [stopped] }),
      ),
    );
    expectEc2Shape(
      'StopInstances',
      await call(
        instances.stopInstances.bind(instances),
        StopInstancesRequest.fromPartial({ instanceIds: [running] }),
      ),
    );
    expectEc2Shape(
      'TerminateInstances',
      await call(
        instances.terminateInstances.bind(instances),
        TerminateInstancesRequest.fromPartial({ instanceIds: [pending] }),
      ),
    );
    expectEc2Shape(
      'GetConsoleOutput',
      await call(
        instances.getConsoleOutput.bind(instances),
        GetConsoleOutputRequest.fromPartial({ instanceId: running }),
      ),
    );
  });

  it('DescribeImages and DescribeInstanceTypes', async () => {
    expectEc2Shape(
      'DescribeImages',
      await call(images.describeImages.bind(images), DescribeImagesRequest.fromPartial({})),
    );
    const printed = expectEc2Shape(
      'DescribeInstanceTypes',
      await call(
        types.describeInstanceTypes.bind(types),
        DescribeInstanceTypesRequest.fromPartial({}),
      ),
    );
    expect(printed.InstanceTypes).toContainEqual(
      expect.objectContaining({ InstanceType: 'm5d.large', Hypervisor: 'nitro' }),
    );
  });

  it('Create/Import/Describe/DeleteKeyPair', async () => {
    expectEc2Shape(
      'CreateKeyPair',
      await call(
        keys.createKeyPair.bind(keys),
        CreateKeyPairRequest.fromPartial({
          keyName: 'tagged',
          keyType: 'ed25519',
          tagSpecifications: [{ resourceType: 'key-pair', tags: [{ key: 'a', value: 'b' }] }],
        }),
      ),
    );
    expectEc2Shape(
      'ImportKeyPair',
      await call(
        keys.importKeyPair.bind(keys),
        ImportKeyPairRequest.fromPartial({
          keyName: 'imported',
          publicKeyMaterial: Buffer.from(ED25519),
          tagSpecifications: [{ resourceType: 'key-pair', tags: [{ key: 'a', value: 'b' }] }],
        }),
      ),
    );
    expectEc2Shape(
      'DescribeKeyPairs',
      await call(
        keys.describeKeyPairs.bind(keys),
        DescribeKeyPairsRequest.fromPartial({ includePublicKey: true }),
      ),
    );
    expectEc2Shape(
      'DeleteKeyPair',
      await call(
        keys.deleteKeyPair.bind(keys),
        DeleteKeyPairRequest.fromPartial({ keyName: 'imported' }),
      ),
    );
  });
});
