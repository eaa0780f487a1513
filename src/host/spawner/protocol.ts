/**
 * The spawner's wire format: one JSON object per line in each direction. kumod sends requests
 * on the spawner's stdin; the spawner answers each on its stdout, in completion order, by id.
 */
export interface SpawnRequest {
  readonly id: number;
  /** Program to run (never through a shell). */
  readonly file: string;
  readonly args: readonly string[];
  /** Text for standard input; standard input is /dev/null without it. */
  readonly input?: string | undefined;
  /** The spawner kills the command (SIGKILL) after this many milliseconds. */
  readonly timeoutMs: number;
  /**
   * Start the program detached instead (its own session, stdout and stderr appended to this
   * file, no deadline): the answer comes as soon as it runs, with its pid, and a DetachedExit
   * with the same id follows if it exits while the spawner lives.
   */
  readonly detachedLog?: string | undefined;
}

export interface SpawnResult {
  readonly id: number;
  /** Undefined when the command was killed or could not start. */
  readonly exitCode?: number | undefined;
  readonly signal?: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Why the command could not start (ENOENT...), or why its output was cut. */
  readonly error?: string | undefined;
  /** A detached start: the pid of the process that runs. */
  readonly pid?: number | undefined;
}

/** A detached process (started with `detachedLog`) ended: "exit code N" or "signal S". */
export interface DetachedExit {
  readonly id: number;
  readonly exited: string;
}

/** What one command may print on each stream before the rest is dropped. */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
