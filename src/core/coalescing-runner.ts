/**
 * Runs idempotent "make it so" work per key (a VPC's ports, a VPC's rules), one run at a time,
 * and lets callers share runs. A call that arrives while a run is under way joins the one run
 * queued after it, together with every other call that arrives before that run starts; the items
 * of all joiners (instance ids) are handed to that run together. A run reads the state of the
 * moment it starts, so it covers what each of its callers wrote before calling.
 *
 * A run that nothing precedes waits one turn of the event loop (setImmediate) before it starts,
 * so calls whose requests arrived in the same I/O phase (five concurrent RunInstances) share it.
 * Every joiner gets the run's result or its error; the next call after a failure runs again.
 */
export class CoalescingRunner<T, R> {
  private readonly slots = new Map<string, Slot<T, R>>();

  constructor(private readonly work: (key: string, items: readonly T[]) => Promise<R>) {}

  run(key: string, items: readonly T[] = []): Promise<R> {
    const slot = this.slots.get(key);
    // Not started yet: whatever this caller wrote before calling is still ahead of its render.
    if (slot?.queued) {
      slot.queued.items.push(...items);
      return slot.queued.result;
    }
    const previous = slot?.tail ?? new Promise<void>((resolve) => setImmediate(resolve));
    const pending: Pending<T, R> = { items: [...items], result: Promise.resolve() as Promise<R> };
    pending.result = previous.then(() => {
      const current = this.slots.get(key);
      if (current?.queued === pending) current.queued = undefined;
      return this.work(key, pending.items);
    });
    const tail = pending.result.then(
      () => undefined,
      () => undefined,
    );
    this.slots.set(key, { queued: pending, tail });
    void tail.then(() => {
      if (this.slots.get(key)?.tail === tail) this.slots.delete(key);
    });
    return pending.result;
  }
}

interface Pending<T, R> {
  readonly items: T[];
  result: Promise<R>;
}

interface Slot<T, R> {
  queued?: Pending<T, R> | undefined;
  readonly tail: Promise<void>;
}
