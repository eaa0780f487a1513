import { describe, expect, it } from 'vitest';
import { CoalescingRunner } from '../../../src/core/coalescing-runner.js';

/** A promise with its resolve and reject at hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('CoalescingRunner', () => {
  it('lets calls that arrive during a run share the one run queued after it, with all their items', async () => {
    const gates = [deferred(), deferred()];
    const seen: { state: number; items: readonly string[] }[] = [];
    let state = 0;
    let active = 0;
    const runner = new CoalescingRunner<string, number>(async (_key, items) => {
      active++;
      expect(active).toBe(1); // never two runs of one key at once
      seen.push({ state, items }); // a run renders the state of the moment it starts
      await gates[seen.length - 1]?.promise;
      active--;
      return seen.length;
    });
    state = 1;
    const first = runner.run('vpc', ['a']);
    await flush();
    expect(seen).toHaveLength(1);
    state = 2;
    const second = runner.run('vpc', ['b']);
    state = 3;
    const third = runner.run('vpc', ['c']);
    expect(third).toBe(second);
    gates[0]?.resolve();
    expect(await first).toBe(1);
    await flush();
    gates[1]?.resolve();
    expect(await Promise.all([second, third])).toEqual([2, 2]);
    // Two runs for three calls; the second saw what both later callers wrote, and both items.
    expect(seen).toEqual([
      { state: 1, items: ['a'] },
      { state: 3, items: ['b', 'c'] },
    ]);
  });

  it('has calls made in the same turn of the event loop share the first run', async () => {
    const runs: (readonly string[])[] = [];
    const runner = new CoalescingRunner<string, void>((_key, items) => {
      runs.push(items);
      return Promise.resolve();
    });
    await Promise.all([runner.run('vpc', ['a']), runner.run('vpc', ['b']), runner.run('vpc')]);
    expect(runs).toEqual([['a', 'b']]);
  });

  it('starts a new run for a call after the queued one has started', async () => {
    let runs = 0;
    const runner = new CoalescingRunner<string, void>(async () => {
      runs++;
      await flush();
    });
    await runner.run('vpc');
    await runner.run('vpc');
    expect(runs).toBe(2);
  });

  it('gives every caller of a failed run its error, and runs again for the next call', async () => {
    const gate = deferred();
    let runs = 0;
    const runner = new CoalescingRunner<string, void>(async () => {
      runs++;
      if (runs === 1) return gate.promise;
      if (runs === 2) throw new Error('iptables-restore failed');
    });
    const first = runner.run('vpc');
    await flush();
    const a = runner.run('vpc');
    const b = runner.run('vpc');
    gate.resolve();
    await first;
    await expect(a).rejects.toThrow('iptables-restore failed');
    await expect(b).rejects.toThrow('iptables-restore failed');
    await runner.run('vpc');
    expect(runs).toBe(3);
  });

  it('keeps keys apart', async () => {
    const gate = deferred();
    const order: string[] = [];
    const runner = new CoalescingRunner<string, void>(async (key) => {
      if (key === 'vpc-a') await gate.promise;
      order.push(key);
    });
    const blocked = runner.run('vpc-a');
    await runner.run('vpc-b');
    gate.resolve();
    await blocked;
    expect(order).toEqual(['vpc-b', 'vpc-a']);
  });
});
