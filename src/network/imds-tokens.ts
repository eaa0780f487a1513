import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** EC2's limits for an IMDSv2 session token's lifetime, in seconds. */
export const TOKEN_TTL_MIN = 1;
export const TOKEN_TTL_MAX = 21_600;

/**
 * IMDSv2 session tokens. Stateless: a token is its expiry plus an HMAC over the instance it was
 * issued to and that expiry, so kumod keeps no table and a token works only for the instance that
 * asked for it. The key is random per kumod process: tokens die with a restart, and clients do
 * what they do on EC2 when a token is refused (401): ask for a new one.
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
