import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reachableByOthers } from '../../../../src/host/network/dnsmasq-service.js';

describe('reachableByOthers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-reach-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is false below a directory others cannot enter, true once they can', async () => {
    const sub = join(dir, 'net', 'subnet-1');
    mkdirSync(sub, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o700);
    expect(await reachableByOthers(sub)).toBe(false);
    chmodSync(dir, 0o711);
    expect(await reachableByOthers(sub)).toBe(true);
  });
});
