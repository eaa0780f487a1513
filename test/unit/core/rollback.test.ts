import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { withRollback } from '../../../src/core/rollback.js';

describe('withRollback', () => {
  it('undoes the steps that took effect, newest first, and rethrows the original error', async () => {
    const undone: string[] = [];
    await expect(
      withRollback(silentLogger, async (rb) => {
        rb.add('disk', () => Promise.resolve(void undone.push('disk')));
        rb.add('tap', () => Promise.resolve(void undone.push('tap')));
        await Promise.resolve();
        throw new Error('qemu failed');
      }),
    ).rejects.toThrow('qemu failed');
    expect(undone).toEqual(['tap', 'disk']);
  });

  it('runs every undo even when one fails, and keeps the original error', async () => {
    const undone: string[] = [];
    await expect(
      withRollback(silentLogger, async (rb) => {
        rb.add('disk', () => Promise.resolve(void undone.push('disk')));
        rb.add('tap', () => Promise.reject(new Error('ip: busy')));
        await Promise.resolve();
        throw new Error('qemu failed');
      }),
    ).rejects.toThrow('qemu failed');
    expect(undone).toEqual(['disk']);
  });

  it('undoes nothing when the change completes', async () => {
    const undone: string[] = [];
    const r = await withRollback(silentLogger, async (rb) => {
      rb.add('disk', () => Promise.resolve(void undone.push('disk')));
      return Promise.resolve('up');
    });
    expect(r).toBe('up');
    expect(undone).toEqual([]);
  });
});
