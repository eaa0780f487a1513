import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EC2_ERROR_CODE_METADATA_KEY } from '../../src/core/errors.js';
import { MAX_REQUEST_BYTES, TRANSPORT_MAX_REQUEST_BYTES } from '../../src/api/request-guard.js';
import { RunInstancesRequest } from '../../src/gen/kumo/v1/instances.js';
import { startApiServer, type ApiServer } from './support/api-server.js';

/**
 * What kumod answers to requests that fail before a handler could run, sent with a raw client
 * (bytes as they are, no generated stubs). docs/api.md ("Errors") promises exactly this.
 */
let api: ApiServer;
let raw: Client;

const send = (path: string, bytes: Buffer) =>
  new Promise<{ code: status; details: string; ec2: string | undefined }>((ok) => {
    raw.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (err: ServiceError | null) => {
        if (!err) throw new Error('expected the call to fail');
        const ec2 = (err.metadata ?? new Metadata()).get(EC2_ERROR_CODE_METADATA_KEY)[0];
        ok({
          code: err.code,
          details: err.details,
          ec2: ec2 === undefined ? undefined : String(ec2),
        });
      },
    );
  });

const runInstancesWithUserData = (bytes: number): Buffer =>
  Buffer.from(
    RunInstancesRequest.encode(
      RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1, userData: Buffer.alloc(bytes) }),
    ).finish(),
  );

beforeAll(async () => {
  api = await startApiServer();
  raw = new Client(api.address, credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
  });
});

afterAll(() => {
  raw.close();
  api.close();
});

describe('requests grpc-js would refuse before any handler', () => {
  it.each([
    ['a truncated length-delimited field', Buffer.from([0x0a, 0x05, 0x01])],
    ['an invalid wire type', Buffer.from([0x0f])],
    ['a truncated varint', Buffer.from([0x20, 0xff])],
  ])('answers a malformed message (%s) with InvalidParameterValue', async (_what, bytes) => {
    const r = await send('/kumo.v1.Instances/RunInstances', bytes);
    expect(r).toEqual({
      code: status.INVALID_ARGUMENT,
      ec2: 'InvalidParameterValue',
      details: 'The RunInstances request is not a valid protobuf message',
    });
    expect(api.deps.instances.list()).toEqual([]);
  });

  it('answers a request over 1 MiB with InvalidParameterValue, and launches nothing', async () => {
    const r = await send('/kumo.v1.Instances/RunInstances', runInstancesWithUserData(2 << 20));
    expect(r.code).toBe(status.INVALID_ARGUMENT);
    expect(r.ec2).toBe('InvalidParameterValue');
    expect(r.details).toMatch(
      new RegExp(
        `^The RunInstances request is \\d+ bytes; kumod reads at most ${MAX_REQUEST_BYTES} bytes`,
      ),
    );
    expect(api.deps.instances.list()).toEqual([]);
  });

  it('leaves a request over 4 MiB to the transport: RESOURCE_EXHAUSTED without an EC2 code', async () => {
    const r = await send('/kumo.v1.Instances/RunInstances', runInstancesWithUserData(20 << 20));
    expect(r.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(r.ec2).toBeUndefined();
    expect(r.details).toContain(String(TRANSPORT_MAX_REQUEST_BYTES));
    expect(api.deps.instances.list()).toEqual([]);
  });

  it('still serves a valid request after all that', async () => {
    const r = await send('/kumo.v1.Instances/RunInstances', runInstancesWithUserData(17 * 1024));
    // Decoded and handled: the handler's own check refuses user data over 16 KiB.
    expect(r.code).toBe(status.INVALID_ARGUMENT);
    expect(r.ec2).toBe('InvalidParameterValue');
    expect(r.details).toMatch(/^User data is 17408 bytes; the limit is 16384 bytes/);
  });

  it('answers an unknown method UNIMPLEMENTED, without an EC2 code (the transport answers)', async () => {
    const r = await send('/kumo.v1.Instances/NoSuchCall', Buffer.alloc(0));
    expect(r.code).toBe(status.UNIMPLEMENTED);
    expect(r.ec2).toBeUndefined();
  });
});
