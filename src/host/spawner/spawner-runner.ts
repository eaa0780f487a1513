import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../../core/logger.js';
import {
  HostCommandError,
  inNetns,
  type CommandRunner,
  type DetachedProcess,
  type DetachedStarter,
  type RunOptions,
  type RunResult,
} from '../command-runner.js';
import type { DetachedExit, SpawnRequest, SpawnResult } from './protocol.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/** As ExecaCommandRunner returns output: without the one newline that ends it. */
const stripFinalNewline = (text: string): string => text.replace(/\r?\n$/, '');
/** Beyond the command's own deadline, how long kumod waits for the spawner to answer at all. */
const SPAWNER_GRACE_MS = 5_000;

interface Pending {
  readonly file: string;
  readonly args: readonly string[];
  readonly resolve: (r: SpawnResult) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * CommandRunner that has a small helper process (spawner-main.ts) start the commands, so kumod
 * never forks itself for them: each fork of kumod costs several milliseconds of CPU that grow
 * with its memory, during which its event loop stands still. Same contract as
 * ExecaCommandRunner: no shell, LC_ALL=C, a deadline on every command, and on failure a
 * HostCommandError with the command, its arguments, exit code and stderr. A spawner that dies
 * fails the commands it had and is started again for the next one.
 */
export class SpawnerCommandRunner implements CommandRunner, DetachedStarter {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Detached processes this spawner started, by request id, until their exit is known. */
  private readonly detached = new Map<number, (why: string) => void>();
  private nextId = 1;

  constructor(
    /** argv that runs the spawner, e.g. [node, ".../spawner-main.js"]. */
    private readonly spawnerCommand: readonly string[],
    private readonly logger?: Logger,
  ) {}

  async run(
    command: string,
    args: readonly string[],
    options: RunOptions = {},
  ): Promise<RunResult> {
    const [file, argv] = inNetns(options.netns, command, args);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const t0 = performance.now();
    const r = await this.send({ file, args: argv, input: options.input, timeoutMs });
    const exitCode = r.exitCode ?? -1;
    const failed =
      r.timedOut ||
      r.exitCode === undefined ||
      (exitCode !== 0 && !options.okExitCodes?.includes(exitCode));
    if (failed) {
      const reason = r.timedOut
        ? 'timed out'
        : r.error !== undefined && r.exitCode === undefined
          ? r.error
          : r.signal
            ? `killed by ${r.signal}`
            : 'non-zero exit';
      throw new HostCommandError(file, argv, r.exitCode, stripFinalNewline(r.stderr), reason);
    }
    this.logger?.debug('host command', {
      command,
      args: args.slice(0, 4),
      netns: options.netns,
      ms: Math.round(performance.now() - t0),
    });
    return { stdout: stripFinalNewline(r.stdout), stderr: stripFinalNewline(r.stderr), exitCode };
  }

  /**
   * Starts a process that outlives kumod (QEMU) from the spawner too, for the same reason as
   * commands: a fork of kumod costs several milliseconds of its CPU per start. The spawner is its
   * parent while both live and reports its exit; if the spawner goes first, the exit stays
   * unknown (callers still have their own deadlines).
   */
  async startDetached(
    command: string,
    args: readonly string[],
    options: { readonly logFile: string; readonly netns?: string },
  ): Promise<DetachedProcess> {
    const [file, argv] = inNetns(options.netns, command, args);
    let exited: string | undefined;
    const r = await this.send(
      { file, args: argv, timeoutMs: DEFAULT_TIMEOUT_MS, detachedLog: options.logFile },
      (why) => {
        exited = why;
      },
    );
    if (r.pid === undefined) {
      throw new HostCommandError(file, argv, undefined, '', r.error ?? 'could not start');
    }
    this.logger?.debug('host process started', { command, args: args.slice(0, 4), pid: r.pid });
    return { pid: r.pid, exited: () => exited };
  }

  /** Ends the spawner (kumod is stopping); commands in flight fail. */
  close(): void {
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private send(
    req: Omit<SpawnRequest, 'id'>,
    onDetachedExit?: (why: string) => void,
  ): Promise<SpawnResult> {
    const child = this.spawner();
    const id = this.nextId++;
    if (onDetachedExit) this.detached.set(id, onDetachedExit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.detached.delete(id);
        reject(
          new HostCommandError(req.file, req.args, undefined, '', 'the spawner did not answer'),
        );
      }, req.timeoutMs + SPAWNER_GRACE_MS);
      this.pending.set(id, { file: req.file, args: req.args, resolve, reject, timer });
      child.stdin?.write(JSON.stringify({ ...req, id }) + '\n');
    });
  }

  private spawner(): ChildProcess {
    if (this.child) return this.child;
    const [node, ...args] = this.spawnerCommand;
    const child = spawn(node as string, args, {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const message = JSON.parse(line) as SpawnResult | DetachedExit;
      if ('exited' in message) {
        this.detached.get(message.id)?.(message.exited);
        this.detached.delete(message.id);
        return;
      }
      const result = message;
      if (result.pid === undefined) this.detached.delete(result.id);
      const p = this.pending.get(result.id);
      if (!p) return;
      this.pending.delete(result.id);
      clearTimeout(p.timer);
      p.resolve(result);
    });
    // Its pipe breaking must not take kumod down; the exit handler fails what was pending.
    child.stdin?.on('error', () => undefined);
    const gone = (why: string): void => {
      if (this.child === child) this.child = undefined;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new HostCommandError(p.file, p.args, undefined, '', `the command spawner ${why}`));
      }
      this.pending.clear();
      // Its detached processes run on (reparented); their exits can no longer be seen.
      this.detached.clear();
    };
    child.on('exit', (code, signal) => {
      if (signal || code) this.logger?.warn('the command spawner exited', { code, signal });
      gone(`exited (${signal ?? `code ${code}`})`);
    });
    child.on('error', (e) => gone(`failed: ${e.message}`));
    // The spawner never keeps kumod alive on its own.
    child.unref();
    (child.stdout as NodeJS.ReadableStream & { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }
}
