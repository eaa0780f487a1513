import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** EC2's limits for an IMDSv2 session token's lifetime, in seconds. */
export const TOKEN_TTL_MIN = 1;
export const TOKEN_TTL_MAX = 21_600;

/** Where the signing key is kept: a host fact, so it outlives kumod (decision 0028). */
export const SIGNING_KEY_FACT = 'imds-token-signing-key';

/**
 * The token signing key kept in state: made (32 random bytes) the first time and read back after
 * every restart, so tokens issued before a kumod restart stay valid until they expire, as on EC2.
 */
export function imdsSigningKey(facts: {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}): Buffer {
  const kept = facts.get(SIGNING_KEY_FACT);
  if (kept !== undefined) {
    const key = Buffer.from(kept, 'base64');
    if (key.length === 32) return key;
  }
  const key = randomBytes(32);
  facts.set(SIGNING_KEY_FACT, key.toString('base64'));
  return key;
}

/**
 * IMDSv2 session tokens. Stateless: a token is its expiry plus an HMAC over the instance it was
 * issued to and that expiry, so kumod keeps no table and a token works only for the instance that
 * asked for it. kumod signs with a key kept in state (imdsSigningKey), so tokens survive a restart.
 */
export class ImdsTokens {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  issue(instanceId: string, ttlSeconds: number, now: Date): string {
    const expires = Math.floor(now.getTime() / 1000) + ttlSeconds;
    return `${expires}.${this.mac(instanceId, expires).toString('base64url')}`;
  }

  isValid(token: string, instanceId: string, now: Date): boolean {
    const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return false;
    const expires = Number(m[1]);
    if (expires * 1000 <= now.getTime()) return false;
    const given = Buffer.from(m[2] as string, 'base64url');
    const wanted = this.mac(instanceId, expires);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }

  private mac(instanceId: string, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`${instanceId}\n${expires}`).digest();
  }
}
