import { describe, expect, it } from 'vitest';
import { assertInterfaceName, assertNetnsName } from '../../../../src/host/network/names.js';

describe('assertInterfaceName', () => {
  it('accepts names of 1 to 15 bytes', () => {
    expect(() => assertInterfaceName('a', 'tap')).not.toThrow();
    expect(() => assertInterfaceName('tap0123456789ab', 'tap')).not.toThrow();
  });

  it('refuses 16 bytes and says which name and the limit', () => {
    expect(() => assertInterfaceName('tap0123456789abc', 'instance tap')).toThrow(
      'instance tap interface name "tap0123456789abc" is 16 bytes; Linux allows 1 to 15',
    );
  });

  it('counts bytes, not characters', () => {
    // 8 characters, 16 bytes in UTF-8.
    expect(() => assertInterfaceName('éééééééé', 'bridge')).toThrow(/16 bytes/);
  });

  it.each(['', '.', '..', 'a/b', 'a:b', 'a b', 'a\nb'])('refuses %j', (name) => {
    expect(() => assertInterfaceName(name, 'bridge')).toThrow(/bridge interface name/);
  });
});

describe('assertNetnsName', () => {
  it.each(['', '.', '..', '../x', 'a/b', 'a b'])('refuses %j', (name) => {
    expect(() => assertNetnsName(name)).toThrow(/network namespace name/);
  });

  it('accepts a plain name', () => {
    expect(() => assertNetnsName('kumo-vpc-0123456789abcdef0')).not.toThrow();
  });
});
