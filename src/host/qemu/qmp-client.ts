import { connect, type Socket } from 'node:net';
import { withDeadline } from '../deadline.js';

/** A QMP reply or event, as QEMU sends it. */
export type QmpMessage = Record<string, unknown>;

export class QmpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpError';
  }
}

/** Default deadline for connecting, the greeting, and each command. */
export const QMP_DEADLINE_MS = 5_000;

/**
 * One QMP session over a unix socket: greeting, qmp_capabilities, then commands answered in order
 * and events delivered to listeners. Every step has a deadline; a session whose open fails is
 * closed, so a half-open socket never pins QEMU's single-client monitor.
 */
export class QmpSession {
  private buffer = '';
  private readonly waiters: { resolve: (m: QmpMessage) => void; reject: (e: Error) => void }[] = [];
  private readonly eventListeners = new Set<(m: QmpMessage) => void>();
  private readonly closeListeners = new Set<() => void>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (e: Error): void => {
      if (this.closedError) return;
      this.closedError = e;
      for (const w of this.waiters.splice(0)) w.reject(e);
      for (const l of this.closeListeners) l();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new QmpError('QMP connection closed')));
  }

  static async open(path: string, timeoutMs = QMP_DEADLINE_MS): Promise<QmpSession> {
    const socket = connect(path);
    const session = new QmpSession(socket);
    try {
      await withDeadline(
        new Promise<void>((resolve, reject) => {
          socket.once('connect', resolve);
          socket.once('error', reject);
        }),
        timeoutMs,
        `connect to ${path}`,
      );
      await withDeadline(session.next(), timeoutMs, 'QMP greeting');
      await session.execute('qmp_capabilities', undefined, timeoutMs);
      return session;
    } catch (e) {
      session.close();
      throw e;
    }
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  async execute(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = QMP_DEADLINE_MS,
  ): Promise<unknown> {
    const reply = this.next();
    this.socket.write(
      JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n',
    );
    const m = await withDeadline(reply, timeoutMs, `QMP ${command}`);
    if ('error' in m) {
      const err = m.error as { desc?: string };
      throw new QmpError(`QMP ${command} failed: ${err.desc ?? JSON.stringify(m.error)}`);
    }
    return m.return;
  }

  /** Calls `listener` with every event from now on; returns a function that stops it. */
  onEvent(listener: (m: QmpMessage) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Calls `listener` once when the connection ends (QEMU exited or closed the monitor). */
  onClose(listener: () => void): void {
    if (this.closedError) listener();
    else this.closeListeners.add(listener);
  }

  /** Resolves with the next event named `name` within the timeout, or undefined. */
  async waitEvent(name: string, timeoutMs: number): Promise<QmpMessage | undefined> {
    let stop: (() => void) | undefined;
    try {
      return await withDeadline(
        new Promise<QmpMessage>((resolve) => {
          stop = this.onEvent((m) => {
            if (m.event === name) resolve(m);
          });
        }),
        timeoutMs,
        `QMP event ${name}`,
      );
    } catch {
      return undefined;
    } finally {
      stop?.();
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private next(): Promise<QmpMessage> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: QmpMessage;
      try {
        msg = JSON.parse(line) as QmpMessage;
      } catch {
        // Not QMP: never let a bad line throw inside a socket handler (it would crash kumod).
        this.socket.destroy(new QmpError(`QMP sent a line that is not JSON: ${line.slice(0, 80)}`));
        return;
      }
      if ('event' in msg) {
        for (const l of this.eventListeners) l(msg);
      } else {
        this.waiters.shift()?.resolve(msg);
      }
    }
  }
}

/** Runs one command in a fresh session. */
export async function qmpExecute(
  path: string,
  command: string,
  args?: Record<string, unknown>,
): Promise<unknown> {
  const s = await QmpSession.open(path);
  try {
    return await s.execute(command, args);
  } finally {
    s.close();
  }
}
