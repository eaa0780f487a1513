import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import {
  loadPublicKeyMaterial,
  loadTextParameter,
  loadUserData,
} from '../../../src/cli/user-data.js';

const dir = mkdtempSync(join(tmpdir(), 'kumo-cli-user-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadUserData', () => {
  it('sends literal text as its UTF-8 bytes', () => {
    expect(loadUserData('#!/bin/sh\necho é')).toEqual(Buffer.from('#!/bin/sh\necho é', 'utf8'));
  });

  it('reads file:// as text and fileb:// as raw bytes', () => {
    const script = join(dir, 'hello.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    expect(loadUserData(`file://${script}`).toString('utf8')).toBe('#!/bin/sh\necho hi\n');
    const bin = join(dir, 'blob.bin');
    const bytes = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0xfe]);
    writeFileSync(bin, bytes);
    expect(loadUserData(`fileb://${bin}`)).toEqual(bytes);
  });

  it('says which file could not be read, as a usage error', () => {
    const missing = join(dir, 'nope.sh');
    expect(() => loadUserData(`file://${missing}`)).toThrow(UsageError);
    expect(() => loadUserData(`file://${missing}`)).toThrow(
      `Error parsing parameter '--user-data': Unable to load paramfile file://${missing}: ENOENT`,
    );
  });
});

describe('loadPublicKeyMaterial and loadTextParameter', () => {
  const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM+9 me@host';

  it('accepts the key line literally, from a file, or base64-encoded as aws-cli v2 sends blobs', () => {
    const pub = join(dir, 'me.pub');
    writeFileSync(pub, `${line}\n`);
    expect(loadPublicKeyMaterial(line).toString()).toBe(line);
    expect(loadPublicKeyMaterial(`fileb://${pub}`).toString()).toBe(`${line}\n`);
    expect(loadPublicKeyMaterial(`file://${pub}`).toString()).toBe(`${line}\n`);
    expect(loadPublicKeyMaterial(Buffer.from(line).toString('base64')).toString()).toBe(line);
    // Base64 that is not a key stays as given, for the daemon to refuse with its own message.
    expect(loadPublicKeyMaterial('aGVsbG8=').toString()).toBe('aGVsbG8=');
  });

  it('reads a JSON parameter file as text and leaves other values alone', () => {
    const f = join(dir, 'p.json');
    writeFileSync(f, '{"a":1}');
    expect(loadTextParameter(`file://${f}`, '--filters')).toBe('{"a":1}');
    expect(loadTextParameter('Name=a', '--filters')).toBe('Name=a');
  });
});
