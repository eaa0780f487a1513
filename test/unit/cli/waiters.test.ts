import { describe, expect, it } from 'vitest';
import { judgeWait, WAITERS, type Waiter } from '../../../src/cli/waiters.js';
import { Instance } from '../../../src/gen/kumo/v1/instances.js';

const inst = (id: string, name: string, reason = '') =>
  Instance.fromPartial({
    instanceId: id,
    state: { code: 0, name },
    stateReason: reason ? { code: 'x', message: reason } : undefined,
  });

const running = WAITERS['instance-running'] as Waiter;
const stopped = WAITERS['instance-stopped'] as Waiter;
const terminated = WAITERS['instance-terminated'] as Waiter;

describe('waiters', () => {
  it('is done only when every instance is in the target state', () => {
    expect(
      judgeWait(running, ['i-1', 'i-2'], [inst('i-1', 'running'), inst('i-2', 'running')]),
    ).toEqual({
      kind: 'done',
    });
    expect(
      judgeWait(running, ['i-1', 'i-2'], [inst('i-1', 'running'), inst('i-2', 'pending')]),
    ).toEqual({
      kind: 'waiting',
      pending: 'i-2 (pending)',
    });
    expect(judgeWait(stopped, ['i-1', 'i-3'], [inst('i-1', 'stopping')])).toEqual({
      kind: 'waiting',
      pending: 'i-1 (stopping), i-3 (not found yet)',
    });
  });

  it('fails at once when the target can no longer be reached', () => {
    expect(
      judgeWait(running, ['i-1'], [inst('i-1', 'terminated', 'Client.UserInitiatedShutdown')]),
    ).toEqual({
      kind: 'failed',
      message:
        'Waiter InstanceRunning failed: i-1 is terminated (Client.UserInitiatedShutdown) and can no longer become running',
    });
    expect(judgeWait(stopped, ['i-1'], [inst('i-1', 'shutting-down')])).toEqual({
      kind: 'failed',
      message:
        'Waiter InstanceStopped failed: i-1 is shutting-down and can no longer become stopped',
    });
    // Stopped is not hopeless for running: someone may start it.
    expect(judgeWait(running, ['i-1'], [inst('i-1', 'stopped')]).kind).toBe('waiting');
    expect(judgeWait(terminated, ['i-1'], [inst('i-1', 'running')]).kind).toBe('waiting');
  });
});
