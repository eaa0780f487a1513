import { rm } from 'node:fs/promises';
import { connect } from 'node:net';

/**
 * A kumod that was killed leaves its socket file behind. Remove it, unless another kumod still
 * answers on it: then refuse to start rather than steal its socket.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another kumod is already serving ${path}; stop it first`);
  await rm(path, { force: true });
}
