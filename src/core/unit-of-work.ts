/**
 * One atomic unit of work across every repository: all writes made inside `run` are kept, or
 * (when `fn` throws) none is. Repositories are synchronous, so `fn` is too: a unit of work never
 * spans a host call, which keeps locks short and makes "decide, then act on the host" explicit.
 */
export interface UnitOfWork {
  run<T>(fn: () => T): T;
}
