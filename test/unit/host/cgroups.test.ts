import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cgroups } from '../../../src/host/cgroups.js';
import { silentLogger } from '../../../src/core/logger.js';

/**
 * The group directories and limit files Cgroups writes, on a plain directory tree standing in for
 * the v1 hierarchies (the kernel's own behaviour is in the integration tests).
 */
describe('Cgroups (v1 layout on a plain directory)', () => {
  const root = mkdtempSync(join(tmpdir(), 'kumo-cgroups-'));
  const cpu = join(root, 'cpu');
  const memory = join(root, 'memory');
  mkdirSync(cpu);
  mkdirSync(memory);
  const groups = new Cgroups({ version: 'v1', cpu, memory }, 'kumo', silentLogger);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('makes the parent and the instance group with its limits', async () => {
    await groups.create('i-1', { vcpus: 2, memoryMib: 640 });
    expect(readFileSync(join(cpu, 'kumo', 'i-1', 'cpu.cfs_quota_us'), 'utf8')).toBe('200000');
    expect(readFileSync(join(cpu, 'kumo', 'i-1', 'cpu.cfs_period_us'), 'utf8')).toBe('100000');
    expect(readFileSync(join(memory, 'kumo', 'i-1', 'memory.limit_in_bytes'), 'utf8')).toBe(
      String(640 * 1024 * 1024),
    );
  });

  it('makes the parent again when it vanished after the first group', async () => {
    rmSync(join(cpu, 'kumo'), { recursive: true });
    rmSync(join(memory, 'kumo'), { recursive: true });
    await groups.create('i-2', { vcpus: 1, memoryMib: 256 });
    expect(existsSync(join(cpu, 'kumo', 'i-2', 'cpu.cfs_quota_us'))).toBe(true);
    expect(existsSync(join(memory, 'kumo', 'i-2', 'memory.limit_in_bytes'))).toBe(true);
  });

  it('never makes a hierarchy that is not there', async () => {
    const gone = new Cgroups(
      { version: 'v1', cpu: join(root, 'no-cpu'), memory },
      'kumo',
      silentLogger,
    );
    await expect(gone.create('i-3', { vcpus: 1, memoryMib: 256 })).rejects.toThrow(/ENOENT/);
    expect(existsSync(join(root, 'no-cpu'))).toBe(false);
  });
});
