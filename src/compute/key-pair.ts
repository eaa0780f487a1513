import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import type { Tag } from '../core/tags.js';

export type KeyType = 'ed25519' | 'rsa';

/** EC2's default key type for CreateKeyPair. */
export const DEFAULT_KEY_TYPE: KeyType = 'rsa';

export interface KeyPair {
  readonly id: string;
  readonly name: string;
  readonly type: KeyType;
  /** In EC2's format, which depends on the type and on whether kumo made the key (see below). */
  readonly fingerprint: string;
  /** The OpenSSH public key line. The private key is never stored. */
  readonly publicKey: string;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
}

/** EC2 allows up to 255 ASCII characters. */
export const KEY_NAME_PATTERN = /^[\x20-\x7e]{1,255}$/;

/*
 * Fingerprints as EC2 computes them (EC2 User Guide, "Verify the fingerprint of your key pair"),
 * so that the commands AWS documents give the same answer for kumo's keys:
 * - RSA key pairs EC2 created: SHA-1 of the private key in PKCS#8 DER, colon-separated hex
 *   (`openssl pkcs8 -in key.pem -inform PEM -outform DER -topk8 -nocrypt | openssl sha1 -c`).
 * - RSA public keys imported: MD5 of the public key in DER (SubjectPublicKeyInfo), colon-hex
 *   (`openssl rsa -in key.pem -pubout -outform DER | openssl md5 -c`).
 * - ED25519, either way: base64 of the SHA-256 of the OpenSSH key blob, with its `=` padding
 *   (ssh-keygen -l prints the same digest as `SHA256:` and the base64 without padding).
 */

const colonHex = (digest: Buffer): string => digest.toString('hex').replace(/(..)(?!$)/g, '$1:');

/** The binary key blob of an OpenSSH public key line ("ssh-rsa AAAA... comment"). */
export function publicKeyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1] ?? '';
  return Buffer.from(b64, 'base64');
}

const ed25519Fingerprint = (publicKeyLine: string): string =>
  createHash('sha256').update(publicKeyBlob(publicKeyLine)).digest('base64');

/** The fingerprint of a key pair kumo made (CreateKeyPair). `privateKeyPem` is needed for RSA. */
export function createdKeyFingerprint(
  type: KeyType,
  privateKeyPem: string,
  publicKeyLine: string,
): string {
  if (type === 'ed25519') return ed25519Fingerprint(publicKeyLine);
  const pkcs8 = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
  return colonHex(createHash('sha1').update(pkcs8).digest());
}

/** The fingerprint of an imported public key (ImportKeyPair). */
export function importedKeyFingerprint(type: KeyType, publicKeyLine: string): string {
  if (type === 'ed25519') return ed25519Fingerprint(publicKeyLine);
  const spki = rsaPublicKeyFromBlob(publicKeyBlob(publicKeyLine)).export({
    type: 'spki',
    format: 'der',
  });
  return colonHex(createHash('md5').update(spki).digest());
}

/** Reads an "ssh-rsa" blob (RFC 4253 6.6: string "ssh-rsa", mpint e, mpint n). */
function rsaPublicKeyFromBlob(blob: Buffer) {
  let at = 0;
  const next = (): Buffer => {
    if (at + 4 > blob.length) throw new Error('truncated ssh-rsa key');
    const n = blob.readUInt32BE(at);
    if (at + 4 + n > blob.length) throw new Error('truncated ssh-rsa key');
    const part = blob.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return part;
  };
  if (next().toString('latin1') !== 'ssh-rsa') throw new Error('not an ssh-rsa key');
  // mpints are two's complement: a leading zero byte only keeps a positive number positive.
  const unsigned = (b: Buffer): string => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    return b.subarray(i).toString('base64url');
  };
  const e = unsigned(next());
  const n = unsigned(next());
  return createPublicKey({ key: { kty: 'RSA', e, n }, format: 'jwk' });
}
