import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImdsTokens, imdsSigningKey } from '../../../src/network/imds-tokens.js';
import { openDatabase } from '../../../src/state/database.js';
import { SqliteHostFacts } from '../../../src/state/sqlite-repositories.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the IMDSv2 signing key in the state database', () => {
  it('is the same after closing and reopening the database (a kumod restart)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-imds-key-'));
    dirs.push(dir);
    const path = join(dir, 'state.db');
    const now = new Date('2026-01-01T00:00:00Z');
    const db1 = openDatabase(path);
    const token = new ImdsTokens(imdsSigningKey(new SqliteHostFacts(db1))).issue('i-1', 600, now);
    db1.close();
    const db2 = openDatabase(path);
    const after = new ImdsTokens(imdsSigningKey(new SqliteHostFacts(db2)));
    expect(after.isValid(token, 'i-1', now)).toBe(true);
    expect(after.isValid(token, 'i-2', now)).toBe(false);
    db2.close();
  });
});
