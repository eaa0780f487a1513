import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ModifyInstanceMetadataOptionsRequest,
  RunInstancesRequest,
} from '../../../src/gen/kumo/v1/instances.js';
import { kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/**
 * run-instances --metadata-options and modify-instance-metadata-options through main() against a
 * fake kumod: what they send, and what they print.
 */
let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const runs = () => (fake.seen.runInstances ?? []) as RunInstancesRequest[];
const modifies = () =>
  (fake.seen.modifyInstanceMetadataOptions ?? []) as ModifyInstanceMetadataOptionsRequest[];

beforeAll(async () => {
  fake = await startFakeKumod({
    runInstances: () => ({
      reservation: { reservationId: 'r-1', ownerId: 'kumo', instances: [], groups: [] },
    }),
    modifyInstanceMetadataOptions: (req: unknown) => ({
      instanceId: (req as ModifyInstanceMetadataOptionsRequest).instanceId,
      instanceMetadataOptions: {
        state: 'pending',
        httpTokens: 'required',
        httpPutResponseHopLimit: 2,
        httpEndpoint: 'enabled',
        httpProtocolIpv6: 'disabled',
        instanceMetadataTags: 'disabled',
      },
    }),
  });
});
afterAll(() => fake.close());

describe('run-instances --metadata-options', () => {
  it('sends the shorthand and the JSON form alike; unset fields stay unset', async () => {
    await kumo(
      'run-instances',
      '--metadata-options',
      'HttpTokens=required,HttpPutResponseHopLimit=2',
    );
    await kumo(
      'run-instances',
      '--metadata-options',
      '{"HttpTokens":"required","HttpPutResponseHopLimit":2}',
    );
    for (const r of runs().slice(-2)) {
      expect(r.metadataOptions).toEqual({
        httpTokens: 'required',
        httpPutResponseHopLimit: 2,
        httpEndpoint: '',
        httpProtocolIpv6: '',
        instanceMetadataTags: '',
      });
    }
  });

  it('sends no options at all without the flag (kumod applies the defaults)', async () => {
    await kumo('run-instances');
    expect(runs().at(-1)?.metadataOptions).toBeUndefined();
  });

  it('refuses unknown keys and a hop limit that is not a number, before calling', async () => {
    const before = runs().length;
    const bad = await kumo('run-instances', '--metadata-options', 'HttpTokenz=required');
    expect(bad.code).toBe(252);
    expect(bad.stderr).toContain("unknown key 'HttpTokenz'");
    const nan = await kumo('run-instances', '--metadata-options', 'HttpPutResponseHopLimit=two');
    expect(nan.code).toBe(252);
    expect(runs()).toHaveLength(before);
  });
});

describe('modify-instance-metadata-options', () => {
  it('sends the flags and prints InstanceId and InstanceMetadataOptions as EC2 does', async () => {
    const r = await kumo(
      'modify-instance-metadata-options',
      '--instance-id',
      'i-1',
      '--http-tokens',
      'required',
      '--http-put-response-hop-limit',
      '2',
    );
    expect(r.code).toBe(0);
    expect(modifies().at(-1)).toMatchObject({
      instanceId: 'i-1',
      options: { httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: '' },
      dryRun: false,
    });
    expect(JSON.parse(r.stdout)).toEqual({
      InstanceId: 'i-1',
      InstanceMetadataOptions: {
        State: 'pending',
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 2,
        HttpEndpoint: 'enabled',
        HttpProtocolIpv6: 'disabled',
        InstanceMetadataTags: 'disabled',
      },
    });
  });

  it('takes --cli-input-json with the flat EC2 members', async () => {
    await kumo(
      'modify-instance-metadata-options',
      '--cli-input-json',
      '{"InstanceId":"i-2","HttpEndpoint":"disabled","HttpPutResponseHopLimit":5}',
    );
    expect(modifies().at(-1)).toMatchObject({
      instanceId: 'i-2',
      options: { httpEndpoint: 'disabled', httpPutResponseHopLimit: 5 },
    });
  });
});
