import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROTO_DIR,
  pythonClientMissing,
  REFLECTION_PROTO_DIR,
  runPythonClient,
} from '../clients/python-env.js';
import { KumodHarness } from './harness/kumod-harness.js';
import { inCi, integrationSuite } from './harness/prerequisites.js';

/**
 * A client kumo did not write, against a real kumod booting a real guest: Python stubs generated
 * from proto/ with grpc_tools.protoc launch one t3.micro, see it run, and terminate it.
 */
const python = pythonClientMissing();
if (python !== undefined && inCi())
  throw new Error(`CI but the Python client cannot run: ${python}`);

interface Launched {
  dry_run: { code: string; ec2_error_code?: string };
  instance_id: string;
  instance_type: string;
  availability_zone: string;
  network_interface_id: string;
  launch_time_seconds: number;
  states: string[];
}

// Outside CI a missing Python client skips the suite; integrationSuite handles root, QEMU, image.
const suite =
  python === undefined
    ? integrationSuite
    : (name: string, body: () => void) => describe.skip(`${name} (skipped: ${python})`, body);

suite('a Python client with stubs generated from proto/', () => {
  let h: KumodHarness | undefined;
  let out: Launched;

  beforeAll(async () => {
    h = await KumodHarness.start();
    out = await runPythonClient<Launched>('launch_client.py', [h.socket, PROTO_DIR], 600_000);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('gets DryRunOperation for a dry run', () => {
    expect(out.dry_run).toEqual({ code: 'FAILED_PRECONDITION', ec2_error_code: 'DryRunOperation' });
  });

  it('launches a t3.micro that reaches running, then terminates it', () => {
    expect(out.instance_id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(out.instance_type).toBe('t3.micro');
    expect(out.availability_zone).toBe('kumo-local-1a');
    expect(out.network_interface_id).toMatch(/^eni-[0-9a-f]{17}$/);
    expect(out.launch_time_seconds).toBeGreaterThan(0);
    expect(out.states[0]).toBe('pending');
    expect(out.states).toContain('running');
    expect(out.states.at(-1)).toBe('terminated');
  });

  it('leaves no QEMU behind', () => {
    expect(h?.qemuPids()).toEqual([]);
  });

  it('finds the real kumod by reflection alone (its descriptor set is wired in)', async () => {
    const reflected = await runPythonClient<{
      services: string[];
      host: Record<string, unknown>;
    }>('reflection_client.py', [h!.socket, REFLECTION_PROTO_DIR]);
    expect(reflected.services).toContain('kumo.v1.Instances');
    expect(reflected.host.kumo_version).toEqual(expect.any(String));
  });
});
