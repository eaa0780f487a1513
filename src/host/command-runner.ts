import type { Logger } from '../core/logger.js';
import { execa, ExecaError } from 'execa';

/** Options for one command. */
export interface RunOptions {
  /** Milliseconds before the command is killed (default 30 s). */
  readonly timeoutMs?: number;
  /** Text fed to standard input. */
  readonly input?: string;
  /** Run inside this named network namespace (via nsenter --net=/run/netns/NAME). */
  readonly netns?: string;
  /** Exit codes that are not failures (e.g. 1 for "not found" probes). */
  readonly okExitCodes?: readonly number[];
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** A failed host command, with everything needed to understand it without a rerun. */
export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    reason: string,
  ) {
    super(
      `${command} ${args.join(' ')} failed (${reason}${exitCode === undefined ? '' : `, exit ${exitCode}`}): ${stderr.trim() || '(no stderr)'}`,
    );
    this.name = 'HostCommandError';
  }
}

/** Runs host tools: never through a shell, always LC_ALL=C, always with a timeout. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** A process started to outlive kumod (QEMU), as its starter sees it. */
export interface DetachedProcess {
  readonly pid: number;
  /** How it ended ("exit code 1", "signal SIGKILL"), while it is known; undefined while it runs. */
  exited(): string | undefined;
}

/**
 * Starts long-lived processes that outlive kumod: their own session and process group, stdin
 * /dev/null, stdout and stderr appended to a log file, LC_ALL=C, never through a shell.
 */
export interface DetachedStarter {
  startDetached(
    command: string,
    args: readonly string[],
    options: { readonly logFile: string; readonly netns?: string },
  ): Promise<DetachedProcess>;
}

/** Path of a named network namespace, as `ip netns` creates it. */
export const netnsPath = (name: string): string => `/run/netns/${name}`;

/** Wraps argv so it runs inside a named netns; pure so adapters and tests can share it. */
export function inNetns(
  netns: string | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return netns === undefined
    ? [command, [...args]]
    : ['nsenter', [`--net=${netnsPath(netns)}`, '--', command, ...args]];
}

export class ExecaCommandRunner implements CommandRunner {
  /** With a logger, every command is logged at debug level with its duration (for the bench). */
  constructor(private readonly logger?: Logger) {}

  async run(
    command: string,
    args: readonly string[],
    options: RunOptions = {},
  ): Promise<RunResult> {
    const [cmd, argv] = inNetns(options.netns, command, args);
    const t0 = performance.now();
    try {
      const r = await execa(cmd, argv, {
        env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        extendEnv: false,
        timeout: options.timeoutMs ?? 30_000,
        input: options.input,
        stdin: options.input === undefined ? 'ignore' : 'pipe',
        shell: false,
        reject: false,
      });
      const exitCode = r.exitCode ?? -1;
      if (
        r.timedOut ||
        r.isTerminated ||
        (exitCode !== 0 && !options.okExitCodes?.includes(exitCode))
      ) {
        const reason = r.timedOut
          ? 'timed out'
          : r.isTerminated
            ? `killed by ${r.signal}`
            : 'non-zero exit';
        throw new HostCommandError(cmd, argv, r.exitCode, String(r.stderr), reason);
      }
      this.logger?.debug('host command', {
        command,
        args: args.slice(0, 4),
        netns: options.netns,
        ms: Math.round(performance.now() - t0),
      });
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode };
    } catch (e) {
      if (e instanceof HostCommandError) throw e;
      const err = e as ExecaError;
      throw new HostCommandError(
        cmd,
        argv,
        undefined,
        String(err.stderr ?? ''),
        err.shortMessage ?? String(e),
      );
    }
  }
}
