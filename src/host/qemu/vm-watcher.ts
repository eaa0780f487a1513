import type { VmStatus } from '../../compute/ports.js';
import { QmpSession, type QmpMessage } from './qmp-client.js';

/** What QEMU's `query-status` says, in the domain's words. */
export function statusFromQmp(status: string | undefined): VmStatus {
  if (status === 'running') return 'running';
  if (status === 'shutdown') return 'guest-shutdown';
  return 'paused';
}

/**
 * One long-lived QMP session on a VM's event monitor. It keeps the VM's status current from QEMU's
 * events (SHUTDOWN, STOP, RESUME, RESET) and from the connection closing (QEMU exited), and tells
 * kumod about every change, so nothing polls: an idle guest costs kumod no CPU at all.
 */
export class VmWatcher {
  private current: VmStatus;

  private constructor(
    readonly instanceId: string,
    readonly session: QmpSession,
    initial: VmStatus,
    onChange: (instanceId: string, status: VmStatus, event: string) => void,
  ) {
    this.current = initial;
    session.onEvent((m: QmpMessage) => {
      const event = String(m.event);
      const next = this.next(event);
      if (next !== this.current || event === 'RESET') {
        this.current = next;
        onChange(instanceId, next, event);
      }
    });
    session.onClose(() => {
      this.current = 'gone';
      onChange(instanceId, 'gone', 'exit');
    });
  }

  static async open(
    instanceId: string,
    eventSocket: string,
    onChange: (instanceId: string, status: VmStatus, event: string) => void,
  ): Promise<VmWatcher> {
    const session = await QmpSession.open(eventSocket);
    try {
      const r = (await session.execute('query-status')) as { status?: string };
      return new VmWatcher(instanceId, session, statusFromQmp(r.status), onChange);
    } catch (e) {
      session.close();
      throw e;
    }
  }

  get status(): VmStatus {
    return this.current;
  }

  get open(): boolean {
    return !this.session.closed;
  }

  close(): void {
    this.session.close();
  }

  private next(event: string): VmStatus {
    switch (event) {
      // With -no-shutdown a guest power-off stops the VM and QEMU waits in "shutdown".
      case 'SHUTDOWN':
        return 'guest-shutdown';
      case 'STOP':
        return this.current === 'guest-shutdown' ? 'guest-shutdown' : 'paused';
      case 'RESUME':
        return 'running';
      default:
        return this.current;
    }
  }
}
