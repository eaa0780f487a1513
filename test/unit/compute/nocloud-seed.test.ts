import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/compute/instance.js';
import { reconcileAll } from '../../../src/compute/instance-reconciler.js';
import {
  startInstances,
  stopInstances,
  terminateInstances,
} from '../../../src/compute/instance-lifecycle.js';
import {
  EMPTY_USER_DATA,
  noCloudSeedFiles,
  parseCloudInitSeed,
  yamlString,
} from '../../../src/compute/nocloud-seed.js';
import { runInstances } from '../../../src/compute/run-instances.js';
import { KumoError } from '../../../src/core/errors.js';
import { fakeComputeDeps, type FakeComputeDeps } from '../../fakes/compute-deps.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';

const instance: Instance = {
  id: 'i-0123456789abcdef0',
  reservationId: 'r-0123456789abcdef0',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.micro',
  keyName: 'me',
  publicKey: `${KEY}\n`,
  userData: new TextEncoder().encode('#!/bin/sh\necho hi >/var/tmp/hi\n'),
  state: 'pending',
  stateTransitionReason: '',
  launchTime: new Date('2026-01-01T00:00:00Z'),
  tags: [],
  launchIndex: 0,
  network: {
    id: 'eni-0123456789abcdef0',
    instanceId: 'i-0123456789abcdef0',
    vpcId: 'vpc-0123456789abcdef0',
    subnetId: 'subnet-0123456789abcdef0',
    privateIp: '172.31.0.5',
    mac: '52:54:00:AB:CD:EF',
  },
  cloudInitSeed: 'nocloud',
};

/** Compares with a golden file; UPDATE_GOLDEN=1 rewrites it (review the diff!). */
function golden(name: string, actual: string): void {
  const file = join(import.meta.dirname, 'golden', name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('NoCloud seed files', () => {
  it('meta-data: instance id, private DNS name as local-hostname, the key (golden)', () => {
    golden('nocloud-meta-data', noCloudSeedFiles(instance, 'kumo.internal').metaData);
  });

  it('network-config v2: the NIC by its MAC (lower case), on DHCP, not renamed (golden)', () => {
    golden('nocloud-network-config', noCloudSeedFiles(instance, 'kumo.internal').networkConfig);
  });

  it('user-data is the instance user data byte for byte', () => {
    const bytes = new Uint8Array([0x1f, 0x8b, 0x00, 0xff, 0x0a]); // gzip-like, not text
    const files = noCloudSeedFiles({ ...instance, userData: bytes }, 'kumo.internal');
    expect(files.userData).toEqual(bytes);
  });

  it('without user data or key: an empty cloud-config and no public-keys', () => {
    const files = noCloudSeedFiles(
      { ...instance, userData: undefined, publicKey: undefined, keyName: undefined },
      'kumo.internal',
    );
    expect(text(files.userData)).toBe(EMPTY_USER_DATA);
    expect(files.metaData).not.toContain('public-keys');
    golden('nocloud-meta-data-no-key', files.metaData);
  });

  it('quotes every value so no key comment can break the YAML', () => {
    expect(yamlString('ssh-ed25519 AAAA a: b # c')).toBe('"ssh-ed25519 AAAA a: b # c"');
    expect(yamlString('x\n- evil: 1')).toBe('"x\\n- evil: 1"');
    expect(yamlString('"q" \\ \u0007')).toBe('"\\"q\\" \\\\ \\u0007"');
    // Outside ASCII: escaped, astral characters as \U (YAML 1.1 parsers read both).
    expect(yamlString('é\u2028😀')).toBe('"\\u00e9\\u2028\\U0001f600"');
  });

  it('takes none, nocloud and empty; refuses anything else with InvalidParameterValue', () => {
    expect(parseCloudInitSeed(undefined)).toBe('none');
    expect(parseCloudInitSeed('')).toBe('none');
    expect(parseCloudInitSeed('none')).toBe('none');
    expect(parseCloudInitSeed('nocloud')).toBe('nocloud');
    expect(() => parseCloudInitSeed('configdrive')).toThrow(
      expect.objectContaining({
        code: 'InvalidParameterValue',
        message: expect.stringMatching(/CloudInitSeed.*Valid values: none, nocloud/),
      }),
    );
  });
});

describe('run-instances --cloud-init-seed', () => {
  const withKey = (): FakeComputeDeps => {
    const d = fakeComputeDeps();
    d.keyPairs.put({
      id: 'key-0123456789abcdef0',
      name: 'me',
      type: 'ed25519',
      fingerprint: 'f',
      publicKey: KEY,
      createdAt: new Date(),
      tags: [],
    });
    return d;
  };

  it('writes the seed before QEMU starts and attaches it; records the choice', async () => {
    const d = withKey();
    const [i] = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      keyName: 'me',
      userData: new TextEncoder().encode('#cloud-config\n'),
      cloudInitSeed: 'nocloud',
    });
    expect(d.instances.get(i!.id)?.cloudInitSeed).toBe('nocloud');
    const seed = d.seeds.current.get(i!.id)!;
    expect(seed.metaData).toContain(`instance-id: "${i!.id}"`);
    expect(seed.metaData).toContain(
      `local-hostname: "ip-${i!.network!.privateIp.replaceAll('.', '-')}.kumo.internal"`,
    );
    expect(seed.metaData).toContain(`  - "${KEY}"`);
    expect(text(seed.userData)).toBe('#cloud-config\n');
    expect(d.hypervisor.vmOf(i!.id)?.spec.cloudInitSeed).toBe(`/fake/${i!.id}/cidata.iso`);
  });

  it('writes nothing and attaches nothing without the option (or with none)', async () => {
    const d = withKey();
    const [a] = await runInstances(d, { minCount: 1, maxCount: 1 });
    const [b] = await runInstances(d, { minCount: 1, maxCount: 1, cloudInitSeed: 'none' });
    expect(d.seeds.writes).toEqual([]);
    for (const i of [a!, b!]) {
      expect(d.instances.get(i.id)?.cloudInitSeed).toBeUndefined();
      expect(d.hypervisor.vmOf(i.id)?.spec.cloudInitSeed).toBeUndefined();
    }
  });

  it('refuses an unknown seed before anything is made, also on a dry run', async () => {
    const d = withKey();
    for (const dryRun of [false, true]) {
      await expect(
        runInstances(d, { minCount: 1, maxCount: 1, cloudInitSeed: 'iso', dryRun }),
      ).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    }
    expect(d.instances.list()).toEqual([]);
    expect(d.seeds.writes).toEqual([]);
  });

  it('a dry run writes no seed', async () => {
    const d = withKey();
    await expect(
      runInstances(d, { minCount: 1, maxCount: 1, cloudInitSeed: 'nocloud', dryRun: true }),
    ).rejects.toMatchObject({ code: 'DryRunOperation' });
    expect(d.seeds.writes).toEqual([]);
  });

  it('a seed that cannot be made undoes the launch: no row, VM, disk, port or seed', async () => {
    const d = withKey();
    d.seeds.failNextWrite = new Error('xorriso: boom');
    await expect(
      runInstances(d, { minCount: 1, maxCount: 1, cloudInitSeed: 'nocloud' }),
    ).rejects.toThrow('xorriso: boom');
    expect(d.instances.list()).toEqual([]);
    expect(d.hypervisor.running()).toBe(0);
    expect(d.storage.files.files.size).toBe(0);
    expect(d.network.ports.size).toBe(0);
    expect(d.seeds.current.size).toBe(0);
  });

  it('a VM that fails to start removes the seed its launch wrote', async () => {
    const d = withKey();
    d.hypervisor.failNextStart = new Error('qemu: boom');
    await expect(
      runInstances(d, { minCount: 2, maxCount: 2, cloudInitSeed: 'nocloud' }),
    ).rejects.toThrow('qemu: boom');
    expect(d.instances.list()).toEqual([]);
    expect(d.seeds.writes).toHaveLength(2);
    expect(d.seeds.current.size).toBe(0);
  });

  it('is rewritten at every start with the same instance id, and removed at terminate', async () => {
    const d = withKey();
    const [i] = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      keyName: 'me',
      cloudInitSeed: 'nocloud',
    });
    const id = i!.id;
    await reconcileAll(d);
    await stopInstances(d, [id], true);
    await reconcileAll(d);
    expect(d.instances.get(id)?.state).toBe('stopped');
    // A stop keeps it (it is the instance's, like its UEFI variables).
    expect(d.seeds.current.has(id)).toBe(true);
    await startInstances(d, [id]);
    expect(d.seeds.writes.map((w) => w.instanceId)).toEqual([id, id]);
    const [first, second] = d.seeds.writes;
    expect(second!.files.metaData).toBe(first!.files.metaData);
    expect(d.hypervisor.vmOf(id)?.spec.cloudInitSeed).toBe(`/fake/${id}/cidata.iso`);
    await reconcileAll(d);
    await terminateInstances(d, [id]);
    await reconcileAll(d);
    expect(d.instances.get(id)?.state).toBe('terminated');
    expect(d.seeds.current.has(id)).toBe(false);
  });

  it('a start whose seed cannot be made leaves the instance stopped, without a seed', async () => {
    const d = withKey();
    const [i] = await runInstances(d, { minCount: 1, maxCount: 1, cloudInitSeed: 'nocloud' });
    const id = i!.id;
    await reconcileAll(d);
    await stopInstances(d, [id], true);
    await reconcileAll(d);
    d.seeds.failNextWrite = new Error('disk full');
    await expect(startInstances(d, [id])).rejects.toThrow('disk full');
    const after = d.instances.get(id)!;
    expect(after.state).toBe('stopped');
    expect(after.runtime).toBeUndefined();
    expect(d.hypervisor.running()).toBe(0);
    expect(d.network.ports.size).toBe(0);
    expect(d.seeds.current.has(id)).toBe(false);
  });

  it('a launch redone at start-up (kumod killed mid-launch) writes the seed again and attaches it', async () => {
    const d = withKey();
    const [i] = await runInstances(d, { minCount: 1, maxCount: 1, cloudInitSeed: 'nocloud' });
    const id = i!.id;
    const first = d.hypervisor.recorded[0]!;
    // As a kill -9 after the spawn leaves it: pending, runtime recorded but never launched.
    d.instances.put({ ...d.instances.get(id)!, state: 'pending', runtime: first });
    await reconcileAll(d, true);
    expect(d.instances.get(id)?.state).toBe('running');
    expect(d.seeds.writes.map((w) => w.instanceId)).toEqual([id, id]);
    expect(d.hypervisor.vmOf(id)?.spec.cloudInitSeed).toBe(`/fake/${id}/cidata.iso`);
  });

  it('a client token reused with another seed choice is a different request', async () => {
    const d = withKey();
    await runInstances(d, { minCount: 1, maxCount: 1, clientToken: 't' });
    await expect(
      runInstances(d, { minCount: 1, maxCount: 1, clientToken: 't', cloudInitSeed: 'nocloud' }),
    ).rejects.toBeInstanceOf(KumoError);
    const again = await runInstances(d, {
      minCount: 1,
      maxCount: 1,
      clientToken: 't',
      cloudInitSeed: 'none',
    });
    expect(again).toHaveLength(1);
  });
});
