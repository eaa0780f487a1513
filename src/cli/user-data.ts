import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/**
 * aws-cli's parameter files: `file://path` reads the file as text, `fileb://path` reads raw bytes,
 * anything else is the literal value. `~/` expands to the home directory, as in aws-cli.
 */

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function readParamFile(value: string, prefix: string, param: string): Buffer {
  const path = expandHome(value.slice(prefix.length));
  try {
    return readFileSync(path);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UsageError(
      `Error parsing parameter '${param}': Unable to load paramfile ${value}: ${why}`,
    );
  }
}

/** A parameter's bytes: `fileb://` raw, `file://` as UTF-8 text, else the literal text. */
export function loadBlobParameter(value: string, param: string): Buffer {
  if (value.startsWith('fileb://')) return readParamFile(value, 'fileb://', param);
  if (value.startsWith('file://')) {
    // Read as text (like aws-cli does for file://), then send that text's UTF-8 bytes.
    return Buffer.from(readParamFile(value, 'file://', param).toString('utf8'), 'utf8');
  }
  return Buffer.from(value, 'utf8');
}

/** A parameter's text: `file://` (or `fileb://`) contents, else the literal value. */
export function loadTextParameter(value: string, param: string): string {
  return value.startsWith('file://') || value.startsWith('fileb://')
    ? loadBlobParameter(value, param).toString('utf8')
    : value;
}

/**
 * `--user-data`: the raw bytes the guest will see (the daemon enforces the 16 KiB limit). Bytes
 * from --cli-input-json arrive as a Buffer and are taken as they are.
 */
export function loadUserData(value: string | Buffer): Buffer {
  return Buffer.isBuffer(value) ? value : loadBlobParameter(value, '--user-data');
}

const SSH_PUBLIC_KEY = /^(ssh-|ecdsa-|sk-)/;

/**
 * `--public-key-material`: an OpenSSH public key line. aws-cli v2 users often pass the key
 * base64-encoded (the API's blob encoding), so a literal that decodes to a key line is decoded.
 * A Buffer (from --cli-input-json) is the literal, never a file:// reference.
 */
export function loadPublicKeyMaterial(value: string | Buffer): Buffer {
  const bytes = Buffer.isBuffer(value) ? value : loadBlobParameter(value, '--public-key-material');
  const text = bytes.toString('utf8').trim();
  if (!SSH_PUBLIC_KEY.test(text) && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = Buffer.from(text, 'base64');
    if (SSH_PUBLIC_KEY.test(decoded.toString('utf8'))) return decoded;
  }
  return bytes;
}
