import { randomBytes } from 'node:crypto';
import { malformedId } from './errors.js';

/** EC2 resource id prefixes kumo issues. */
export type IdPrefix =
  | 'i'
  | 'r'
  | 'ami'
  | 'vol'
  | 'snap'
  | 'vpc'
  | 'subnet'
  | 'eni'
  | 'sg'
  | 'sgr'
  | 'eipalloc'
  | 'eipassoc'
  | 'igw'
  | 'rtb'
  | 'rtbassoc'
  | 'key';

/** A new EC2-style id: the prefix, a dash and 17 lowercase hex digits (`i-0abc…`). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

const ID_PATTERN = /^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$/;

export function isId(prefix: IdPrefix, value: string): boolean {
  const m = ID_PATTERN.exec(value);
  return m !== null && m[1] === prefix;
}

/** Throws `<Resource>.Malformed` unless `value` is an id with `prefix`. */
export function assertId(prefix: IdPrefix, value: string, malformedCode: string): void {
  if (!isId(prefix, value)) {
    throw malformedId(malformedCode, value, `${prefix}- followed by 17 hex digits`);
  }
}

/** The 17 hex digits of an id, for deriving short host names (taps, cgroups). */
export function idSuffix(id: string): string {
  const dash = id.indexOf('-');
  return dash < 0 ? id : id.slice(dash + 1);
}

/** EC2's owner (account) id of everything on a kumo host: images, reservations. */
export const OWNER_ID = 'kumo';
