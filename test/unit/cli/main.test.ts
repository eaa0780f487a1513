import {
  Metadata,
  Server,
  ServerCredentials,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import {
  DescribeInstancesResponse,
  Instance,
  InstancesService,
  Reservation,
  StopInstancesResponse,
  type DescribeInstancesRequest,
  type InstancesServer,
  type StopInstancesRequest,
} from '../../../src/gen/kumo/v1/instances.js';

/** main() end to end against a tiny in-process gRPC server that stands in for kumod. */
let dir: string;
let server: Server;
let endpoint: string;
const seen: { describe: DescribeInstancesRequest[]; stop: StopInstancesRequest[] } = {
  describe: [],
  stop: [],
};

const instance = Instance.fromPartial({
  instanceId: 'i-0123456789abcdef0',
  state: { code: 16, name: 'running' },
  privateIpAddress: '172.31.0.5',
  launchTime: new Date('2026-01-02T03:04:05Z'),
  tags: [{ key: 'Name', value: 'web' }],
  amiLaunchIndex: 0,
  memoryMib: 1024,
});

const notImplemented = (_call: unknown, cb: (e: { code: status }) => void) =>
  cb({ code: status.UNIMPLEMENTED });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kumo-cli-main-'));
  endpoint = `unix://${join(dir, 'kumo.sock')}`;
  server = new Server();
  const handlers: Partial<InstancesServer> = {
    describeInstances: (call, cb) => {
      seen.describe.push(call.request);
      if (call.request.instanceIds.includes('i-00000000000000000')) {
        const metadata = new Metadata();
        metadata.set('ec2-error-code', 'InvalidInstanceID.NotFound');
        cb({
          code: status.NOT_FOUND,
          details: "The instance ID 'i-00000000000000000' does not exist",
          metadata,
        });
        return;
      }
      cb(
        null,
        DescribeInstancesResponse.fromPartial({
          reservations: [
            Reservation.fromPartial({
              reservationId: 'r-1',
              ownerId: 'kumo',
              instances: [instance],
            }),
          ],
        }),
      );
    },
    stopInstances: (call, cb) => {
      seen.stop.push(call.request);
      cb(null, StopInstancesResponse.fromPartial({}));
    },
  };
  const impl: UntypedServiceImplementation = Object.fromEntries(
    Object.keys(InstancesService).map((k) => [
      k,
      (handlers as UntypedServiceImplementation)[k] ?? notImplemented,
    ]),
  );
  server.addService(InstancesService, impl);
  await new Promise<void>((ok, fail) =>
    server.bindAsync(endpoint, ServerCredentials.createInsecure(), (e) => (e ? fail(e) : ok())),
  );
});

afterAll(() => {
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

async function kumo(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'kumo', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KUMO_ENDPOINT: endpoint, ...env },
  });
  return { code, stdout, stderr };
}

describe('kumo main', () => {
  it('prints describe-instances EC2-shaped, with global options after the subcommand', async () => {
    const r = await kumo([
      'describe-instances',
      '--instance-ids',
      'i-0123456789abcdef0',
      'i-1',
      '--filters',
      'Name=instance-state-name,Values=running,stopped',
      '--output',
      'json',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // aws-cli's layout: four-space indent, a final newline.
    expect(r.stdout).toMatch(/^\{\n {4}"Reservations": \[\n {8}\{\n {12}"ReservationId": "r-1",\n/);
    expect(r.stdout.endsWith('}\n')).toBe(true);
    expect(JSON.parse(r.stdout)).toMatchObject({
      Reservations: [
        {
          ReservationId: 'r-1',
          OwnerId: 'kumo',
          Instances: [
            {
              InstanceId: 'i-0123456789abcdef0',
              State: { Code: 16, Name: 'running' },
              PrivateIpAddress: '172.31.0.5',
              LaunchTime: '2026-01-02T03:04:05.000Z',
              Tags: [{ Key: 'Name', Value: 'web' }],
              // proto3 zeros are real values here (launch index 0), so they stay.
              AmiLaunchIndex: 0,
              MemoryMib: 1024,
            },
          ],
        },
      ],
    });
    const printed = JSON.parse(r.stdout).Reservations[0].Instances[0];
    // Empty strings and lists are left out, as EC2 leaves absent fields out.
    expect(printed).not.toHaveProperty('PublicIpAddress');
    expect(seen.describe.at(-1)).toMatchObject({
      instanceIds: ['i-0123456789abcdef0', 'i-1'],
      filters: [{ name: 'instance-state-name', values: ['running', 'stopped'] }],
    });
  });

  it('applies --query and --output text, from flags or KUMO_DEFAULT_OUTPUT', async () => {
    const q = ['--query', 'Reservations[].Instances[].InstanceId'];
    expect((await kumo(['--output', 'text', 'describe-instances', ...q])).stdout).toBe(
      'i-0123456789abcdef0\n',
    );
    expect((await kumo(['describe-instances', ...q], { KUMO_DEFAULT_OUTPUT: 'text' })).stdout).toBe(
      'i-0123456789abcdef0\n',
    );
  });

  it('sends stop-instances --force', async () => {
    const r = await kumo(['stop-instances', '--instance-ids', 'i-1', '--force']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{\n    "StoppingInstances": []\n}\n');
    expect(seen.stop.at(-1)).toMatchObject({ instanceIds: ['i-1'], force: true });
  });

  it('waits: done at once when already there, a one-line failure when time is up', async () => {
    const ids = ['--instance-ids', 'i-0123456789abcdef0'];
    expect(await kumo(['wait', 'instance-running', ...ids])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(await kumo(['wait', 'instance-stopped', ...ids, '--timeout', '1'])).toEqual({
      code: 255,
      stdout: '',
      stderr:
        'Waiter InstanceStopped failed: timed out after 1 s; still waiting for i-0123456789abcdef0 (running)\n',
    });
  });

  it('prints a service error as one aws-style line and exits 254', async () => {
    const r = await kumo(['describe-instances', '--instance-ids', 'i-00000000000000000']);
    expect(r).toEqual({
      code: 254,
      stdout: '',
      stderr:
        "An error occurred (InvalidInstanceID.NotFound) when calling the DescribeInstances operation: The instance ID 'i-00000000000000000' does not exist\n",
    });
  });

  it('falls back to the gRPC status name when no EC2 code came back', async () => {
    const r = await kumo(['reboot-instances', '--instance-ids', 'i-1']);
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(
      /^An error occurred \(UNIMPLEMENTED\) when calling the RebootInstances operation: .*\n$/,
    );
  });

  it('exits 255 with the endpoint and a hint when kumod is not there', async () => {
    const gone = `unix://${join(dir, 'gone.sock')}`;
    const r = await kumo(['describe-instances', '--endpoint', gone]);
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(
      `Could not connect to kumod at ${gone}: connect ENOENT ${join(dir, 'gone.sock')}. ` +
        'Is kumod running? Start it (sudo systemctl start kumod) or point KUMO_ENDPOINT / --endpoint at its socket.\n',
    );
  });

  it('exits 252 with one line and a hint for bad usage', async () => {
    expect(await kumo(['describe-instances', '--instance-idz', 'i-1'])).toEqual({
      code: 252,
      stdout: '',
      stderr:
        "kumo: error: unknown option '--instance-idz' (Did you mean --instance-ids?) (see: kumo describe-instances --help)\n",
    });
    expect(await kumo(['get-console-output'])).toEqual({
      code: 252,
      stdout: '',
      stderr:
        "kumo: error: required option '--instance-id <id>' not specified (see: kumo get-console-output --help)\n",
    });
    expect(await kumo(['run-instances', '--count', 'many'])).toEqual({
      code: 252,
      stdout: '',
      stderr: "Error parsing parameter '--count': expected N or MIN:MAX, got 'many'\n",
    });
    const bad = await kumo(['describe-instances', '--output', 'yaml']);
    expect(bad.code).toBe(252);
    expect(bad.stderr.split('\n')).toHaveLength(2);
  });

  it('prints the version and help with exit 0', async () => {
    const v = await kumo(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const h = await kumo(['run-instances', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--tag-specifications <spec...>');
  });
});
