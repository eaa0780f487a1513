import { connect, type Socket } from 'node:net';

/** A QMP reply or event, as QEMU sends it. */
export type QmpMessage = Record<string, unknown>;

export class QmpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QmpError';
  }
}

/**
 * One QMP session over a unix socket: greeting, qmp_capabilities, then commands answered in order.
 * Short-lived by design: QEMU's QMP sockets serve one client at a time.
 */
export class QmpSession {
  private buffer = '';
  private readonly waiters: { resolve: (m: QmpMessage) => void; reject: (e: Error) => void }[] = [];
  private readonly events: QmpMessage[] = [];
  private eventWaiter: ((m: QmpMessage) => void) | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const fail = (e: Error): void => {
      this.closedError ??= e;
      for (const w of this.waiters.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new QmpError('QMP connection closed')));
  }

  static async open(path: string, timeoutMs = 5000): Promise<QmpSession> {
    const socket = connect(path);
    const session = new QmpSession(socket);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      }),
      timeoutMs,
      `connect to ${path}`,
    );
    await withTimeout(session.next(), timeoutMs, 'QMP greeting');
    await session.execute('qmp_capabilities', undefined, timeoutMs);
    return session;
  }

  async execute(
    command: string,
    args?: Record<string, unknown>,
    timeoutMs = 5000,
  ): Promise<unknown> {
    const reply = this.next();
    this.socket.write(
      JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n',
    );
    const m = await withTimeout(reply, timeoutMs, `QMP ${command}`);
    if ('error' in m) {
      const err = m.error as { desc?: string };
      throw new QmpError(`QMP ${command} failed: ${err.desc ?? JSON.stringify(m.error)}`);
    }
    return m.return;
  }

  /** Resolves with the first event named `name` (already received or arriving within the timeout). */
  async waitEvent(name: string, timeoutMs: number): Promise<QmpMessage | undefined> {
    const seen = this.events.find((e) => e.event === name);
    if (seen) return seen;
    return withTimeout(
      new Promise<QmpMessage>((resolve) => {
        this.eventWaiter = (m) => {
          if (m.event === name) resolve(m);
        };
      }),
      timeoutMs,
      `QMP event ${name}`,
    ).catch(() => undefined);
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
      const msg = JSON.parse(line) as QmpMessage;
      if ('event' in msg) {
        this.events.push(msg);
        this.eventWaiter?.(msg);
      } else {
        this.waiters.shift()?.resolve(msg);
      }
    }
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QmpError(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
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
