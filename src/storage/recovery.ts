import type { StorageDeps } from './deps.js';
import type { Volume } from './volume.js';

/**
 * At start-up, finishes or rolls back what a killed kumod left in flight. Nothing a user wrote is
 * deleted: a `creating` volume has no data yet (its half-made file goes with its row), a
 * `deleting` one was already being deleted on request, and an attach or detach that was cut off
 * is taken back to where the guest certainly is (a disk that may be half-plugged is unplugged,
 * the volume stays).
 */
export async function recoverVolumes(deps: StorageDeps): Promise<void> {
  // A snapshot still pending was cut off with kumod (its copy ran in kumod's call): its partial
  // file goes with its row; the volume it was of is untouched.
  for (const s of deps.snapshots.list()) {
    if (s.state !== 'pending') continue;
    await deps.files.remove(s.path ?? deps.files.snapshotPath(s.id)).catch(() => undefined);
    deps.snapshots.delete(s.id);
    deps.logger.warn('removed a snapshot that kumod was interrupted in', { snapshotId: s.id });
  }
  for (const v of deps.volumes.list()) {
    try {
      await deps.locks.run(v.id, () => recoverOne(deps, v));
    } catch (e) {
      deps.logger.error('could not recover a volume', { volumeId: v.id, error: String(e) });
    }
  }
}

async function recoverOne(deps: StorageDeps, v: Volume): Promise<void> {
  if (v.state === 'creating' || v.state === 'deleting') {
    if (v.path) await deps.files.remove(v.path);
    deps.volumes.delete(v.id);
    deps.logger.warn(
      `${v.state === 'creating' ? 'undid' : 'finished'} an interrupted volume ${v.state}`,
      {
        volumeId: v.id,
      },
    );
    return;
  }
  const a = v.attachment;
  if (!a || a.state === 'attached') return;
  const i = deps.instances.get(a.instanceId);
  if (i?.runtime && (i.state === 'running' || i.state === 'pending' || i.state === 'stopping')) {
    const released = await deps.guestDisks.unplug(i.runtime, v.id, deps.settings.detachTimeoutMs);
    if (!released) {
      // The guest still holds it: it stays attached, as EC2 shows a detach the OS refuses.
      deps.volumes.put({ ...v, attachment: { ...a, state: 'attached' } });
      deps.logger.warn('an interrupted attach or detach: the guest holds the disk; kept attached', {
        volumeId: v.id,
        instanceId: a.instanceId,
      });
      return;
    }
  }
  deps.volumes.put({ ...v, state: 'available', attachment: undefined });
  deps.logger.warn('rolled an interrupted attach or detach back to available', {
    volumeId: v.id,
    instanceId: a.instanceId,
  });
}
