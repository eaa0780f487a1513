import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeInstancesRequest,
  InstancesClient,
  type InstanceMetadataOptionsRequest,
  ModifyInstanceMetadataOptionsRequest,
  RunInstancesRequest,
  TerminateInstancesRequest,
} from '../../src/gen/kumo/v1/instances.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';

let api: ApiServer;
let instances: InstancesClient;
/** The first test's instance: the fake host has room for a few only. */
let first = '';

beforeAll(async () => {
  api = await startApiServer();
  instances = new InstancesClient(api.address, credentials.createInsecure());
});
afterAll(() => api.close());

const run = (metadataOptions?: Partial<InstanceMetadataOptionsRequest>) =>
  call(
    instances.runInstances.bind(instances),
    RunInstancesRequest.fromPartial({ minCount: 1, maxCount: 1, metadataOptions }),
  );
const describeOne = async (id: string) =>
  (
    await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({ instanceIds: [id] }),
    )
  ).reservations[0]?.instances[0];
interface ModifyReq {
  instanceId: string;
  options?: Partial<InstanceMetadataOptionsRequest>;
  dryRun?: boolean;
}
const modify = (req: ModifyReq) =>
  call(
    instances.modifyInstanceMetadataOptions.bind(instances),
    ModifyInstanceMetadataOptionsRequest.fromPartial(req),
  );

describe('MetadataOptions (RunInstances, DescribeInstances, ModifyInstanceMetadataOptions)', () => {
  it("launches with EC2's defaults when none are given, in EC2's shape", async () => {
    const id = (await run()).reservation?.instances[0]?.instanceId ?? '';
    first = id;
    expect((await describeOne(id))?.metadataOptions).toEqual({
      state: 'applied',
      httpTokens: 'optional',
      httpPutResponseHopLimit: 1,
      httpEndpoint: 'enabled',
      httpProtocolIpv6: 'disabled',
      instanceMetadataTags: 'disabled',
    });
  });

  it('launches with the options asked for; unset fields get the defaults', async () => {
    const res = await run({ httpTokens: 'required', httpPutResponseHopLimit: 3 });
    expect(res.reservation?.instances[0]?.metadataOptions).toMatchObject({
      httpTokens: 'required',
      httpPutResponseHopLimit: 3,
      httpEndpoint: 'enabled',
      instanceMetadataTags: 'disabled',
    });
  });

  it.each([
    [{ httpTokens: 'sometimes' }, 'InvalidParameterValue', /HttpTokens.*optional, required/],
    [{ httpEndpoint: 'on' }, 'InvalidParameterValue', /HttpEndpoint/],
    [{ httpPutResponseHopLimit: 0 }, 'InvalidParameterValue', /1 to 64/],
    [{ httpPutResponseHopLimit: 65 }, 'InvalidParameterValue', /1 to 64/],
    [{ instanceMetadataTags: 'yes' }, 'InvalidParameterValue', /InstanceMetadataTags/],
    [{ httpProtocolIpv6: 'enabled' }, 'UnsupportedOperation', /no IPv6/],
  ])('refuses a launch with %j (%s) and launches nothing', async (opts, ec2, message) => {
    const before = (
      await call(instances.describeInstances.bind(instances), {
        instanceIds: [],
        filters: [],
        maxResults: 0,
        nextToken: '',
      })
    ).reservations.length;
    const f = await failure(run(opts));
    expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, ec2 });
    expect(f.details).toMatch(message);
    const after = (
      await call(instances.describeInstances.bind(instances), {
        instanceIds: [],
        filters: [],
        maxResults: 0,
        nextToken: '',
      })
    ).reservations.length;
    expect(after).toBe(before);
  });

  it('modifies the options of an instance at once, keeping the fields not given', async () => {
    const id = (await run({ instanceMetadataTags: 'enabled' })).reservation?.instances[0]
      ?.instanceId as string;
    const res = await modify({
      instanceId: id,
      options: { httpTokens: 'required', httpPutResponseHopLimit: 2 },
    });
    expect(res).toEqual({
      instanceId: id,
      instanceMetadataOptions: {
        state: 'pending',
        httpTokens: 'required',
        httpPutResponseHopLimit: 2,
        httpEndpoint: 'enabled',
        httpProtocolIpv6: 'disabled',
        instanceMetadataTags: 'enabled',
      },
    });
    expect((await describeOne(id))?.metadataOptions).toMatchObject({
      state: 'applied',
      httpTokens: 'required',
      httpPutResponseHopLimit: 2,
      instanceMetadataTags: 'enabled',
    });
    await modify({ instanceId: id, options: { httpEndpoint: 'disabled' } });
    expect((await describeOne(id))?.metadataOptions).toMatchObject({
      httpTokens: 'required',
      httpEndpoint: 'disabled',
    });
  });

  it('answers a dry run without changing anything', async () => {
    const id = first;
    const f = await failure(
      modify({ instanceId: id, options: { httpTokens: 'required' }, dryRun: true }),
    );
    expect(f.ec2).toBe('DryRunOperation');
    expect((await describeOne(id))?.metadataOptions?.httpTokens).toBe('optional');
    // A dry run still checks the values.
    expect(
      (await failure(modify({ instanceId: id, options: { httpTokens: 'x' }, dryRun: true }))).ec2,
    ).toBe('InvalidParameterValue');
  });

  it('refuses unknown or malformed ids, and a call that changes nothing', async () => {
    expect(
      await failure(
        modify({ instanceId: 'i-00000000000000000', options: { httpTokens: 'required' } }),
      ),
    ).toMatchObject({ code: status.NOT_FOUND, ec2: 'InvalidInstanceID.NotFound' });
    expect(
      (await failure(modify({ instanceId: 'nope', options: { httpTokens: 'required' } }))).ec2,
    ).toBe('InvalidInstanceID.Malformed');
    expect((await failure(modify({ instanceId: first, options: {} }))).ec2).toBe(
      'MissingParameter',
    );
  });

  it('refuses a terminated instance with IncorrectInstanceState', async () => {
    await call(
      instances.terminateInstances.bind(instances),
      TerminateInstancesRequest.fromPartial({ instanceIds: [first] }),
    );
    expect(
      await failure(modify({ instanceId: first, options: { httpTokens: 'required' } })),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'IncorrectInstanceState' });
  });
});
