import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import {
  pythonClientOrSkip,
  REFLECTION_PROTO_DIR,
  runPythonClient,
} from '../clients/python-env.js';
import { startApiServer, type ApiServer } from './support/api-server.js';

/**
 * A client kumo did not write (Python, gRPC C-core) that knows kumod only through server
 * reflection. It fails on synthesized descriptors (camelCase field names, a Timestamp without its
 * import) and on error trailers over 8 KiB, which grpc-js clients accept.
 */
const suite = pythonClientOrSkip() === 'run' ? describe : describe.skip;

interface Reflected {
  services: string[];
  files: Record<string, string[]>;
  host: Record<string, unknown>;
  instance_fields: string[];
  long_instance_type: { code: string; ec2_error_code: string | null; details: string };
  many_unknown_ids: { code: string; ec2_error_code: string | null; details: string };
}

suite('a Python client that knows kumod only by reflection', () => {
  let api: ApiServer;
  let out: Reflected;

  beforeAll(async () => {
    api = await startApiServer({
      logger: silentLogger,
      describeHost: () =>
        Promise.resolve({
          hostname: 'h',
          kumoVersion: '9.8.7',
          accelerator: 'tcg',
          acceleratorReason: 'test',
          acceleratorRequested: 'auto',
          qemuVersion: '8',
          cgroupVersion: 'v2',
          cpuModel: 'cpu',
          cpuCount: 2,
          memoryTotalMib: 4096,
          capacityVcpus: 2,
          capacityMemoryMib: 3072,
          allocatedVcpus: 0,
          allocatedMemoryMib: 0,
          runningInstances: 0,
          publicCidr: '100.80.0.0/24',
          stateDir: '/var/lib/kumo',
        }),
    });
    out = await runPythonClient<Reflected>('reflection_client.py', [
      api.socket,
      REFLECTION_PROTO_DIR,
    ]);
  });

  afterAll(() => api?.close());

  it('lists every kumo service', () => {
    expect(out.services).toEqual(
      expect.arrayContaining([
        'kumo.v1.Host',
        'kumo.v1.Images',
        'kumo.v1.InstanceTypes',
        'kumo.v1.Instances',
        'kumo.v1.KeyPairs',
      ]),
    );
  });

  it('gets the real files, with their imports (Timestamp included)', () => {
    expect(out.files['kumo/v1/instances.proto']).toEqual([
      'google/protobuf/timestamp.proto',
      'google/protobuf/wrappers.proto',
      'kumo/v1/common.proto',
    ]);
    expect(Object.keys(out.files)).toContain('google/protobuf/timestamp.proto');
    expect(Object.keys(out.files)).toContain('google/protobuf/wrappers.proto');
    expect(out.instance_fields).toContain('launch_time');
  });

  it('calls DescribeHost from reflected descriptors and reads the proto field names', () => {
    expect(out.host).toMatchObject({
      kumo_version: '9.8.7',
      accelerator_reason: 'test',
      memory_total_mib: '4096',
      public_cidr: '100.80.0.0/24',
    });
    expect(out.host).not.toHaveProperty('kumoVersion');
  });

  it('receives the EC2 code of an error about a 9000-character value', () => {
    expect(out.long_instance_type.code).toBe('INVALID_ARGUMENT');
    expect(out.long_instance_type.ec2_error_code).toBe('InvalidParameterValue');
    expect(out.long_instance_type.details.length).toBeLessThan(1100);
  });

  it('receives the EC2 code of an error about 390 unknown instance ids, which names three', () => {
    expect(out.many_unknown_ids).toMatchObject({
      code: 'NOT_FOUND',
      ec2_error_code: 'InvalidInstanceID.NotFound',
    });
    expect(out.many_unknown_ids.details).toBe(
      "The instance IDs 'i-00000000000000001, i-00000000000000002, i-00000000000000003 and 387 more' do not exist",
    );
  });
});
