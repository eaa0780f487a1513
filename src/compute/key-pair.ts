import type { Tag } from '../core/tags.js';

export type KeyType = 'ed25519' | 'rsa';

export interface KeyPair {
  readonly id: string;
  readonly name: string;
  readonly type: KeyType;
  /** SHA256 fingerprint as OpenSSH prints it (SHA256:base64). */
  readonly fingerprint: string;
  /** The OpenSSH public key line. The private key is never stored. */
  readonly publicKey: string;
  readonly createdAt: Date;
  readonly tags: readonly Tag[];
}

/** EC2 allows up to 255 ASCII characters. */
export const KEY_NAME_PATTERN = /^[\x20-\x7e]{1,255}$/;
