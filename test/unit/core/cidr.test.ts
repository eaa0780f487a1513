import { describe, expect, it } from 'vitest';
import { cidrContains, firstFreeAddress, nthAddress, parseCidr } from '../../../src/core/cidr.js';
import { assertId, isId, newId } from '../../../src/core/ids.js';

describe('cidr', () => {
  it('parses and indexes', () => {
    const c = parseCidr('172.31.0.0/20');
    expect(nthAddress(c, 1)).toBe('172.31.0.1');
    expect(cidrContains(c, '172.31.15.255')).toBe(true);
    expect(cidrContains(c, '172.31.16.0')).toBe(false);
  });
  it('rejects host bits, bad prefixes and junk with a message that says what to change', () => {
    expect(() => parseCidr('10.0.0.1/24')).toThrow(/network is 10.0.0.0\/24/);
    expect(() => parseCidr('10.0.0.0/31')).toThrow(/between/);
    expect(() => parseCidr('10.0.0/24')).toThrow(/Invalid IPv4/);
  });
  it('allocates the first free host address after the reserved ones, never broadcast', () => {
    const c = parseCidr('10.0.0.0/29');
    expect(firstFreeAddress(c, new Set())).toBe('10.0.0.4');
    expect(firstFreeAddress(c, new Set(['10.0.0.4', '10.0.0.5', '10.0.0.6']))).toBeUndefined();
  });
});

describe('ids', () => {
  it('makes EC2-shaped ids', () => {
    const id = newId('i');
    expect(id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(isId('i', id)).toBe(true);
    expect(isId('ami', id)).toBe(false);
    expect(() => assertId('i', 'i-123', 'InvalidInstanceID.Malformed')).toThrow(/Invalid id/);
  });
});
