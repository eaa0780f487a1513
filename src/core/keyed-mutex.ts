/**
 * Serialises async work per key (an instance id, "capacity"): the API and the reconciler never act
 * on the same instance at the same time, and the event loop never interleaves two halves of a step.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Runs fn holding all keys, acquired in sorted order so two callers cannot deadlock. */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T> | T): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const acquire = (i: number): Promise<T> =>
      i === sorted.length
        ? Promise.resolve(fn())
        : this.run(sorted[i] as string, () => acquire(i + 1));
    return acquire(0);
  }
}
