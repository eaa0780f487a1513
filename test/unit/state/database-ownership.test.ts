import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/state/database.js';

describe('the state database belongs to one process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-db-owner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kumo.db');

  it('refuses a second opener while the first has it, with what to do; keeps the first working', () => {
    const first = openDatabase(path);
    try {
      first.run("INSERT INTO host_facts (key, value) VALUES ('k', 'v')");
      expect(() => openDatabase(path, 50)).toThrow(
        /state database .*kumo\.db is in use by another process .*--state-dir.*stop it first/,
      );
      expect(first.get<{ value: string }>("SELECT value FROM host_facts WHERE key = 'k'")).toEqual({
        value: 'v',
      });
      // The WAL index is in this process's memory: no shared-memory file for others to map.
      expect(existsSync(`${path}-shm`)).toBe(false);
    } finally {
      first.close();
    }
    const second = openDatabase(path, 50);
    try {
      expect(second.get<{ value: string }>("SELECT value FROM host_facts WHERE key = 'k'")).toEqual(
        {
          value: 'v',
        },
      );
    } finally {
      second.close();
    }
  });
});
