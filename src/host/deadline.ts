/** A host call that did not finish in time. */
export class DeadlineError extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * Resolves as `work` does, or rejects with DeadlineError after `ms`. The work itself may go on in
 * the background (a file operation in the thread pool cannot be cancelled), but no caller waits
 * for it: a stuck kernel file or socket turns into an error instead of a hang.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineError(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Default deadline for one operation on /proc, /sys or a local socket. */
export const KERNEL_FILE_DEADLINE_MS = 5_000;
