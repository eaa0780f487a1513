import { describe, expect, it } from 'vitest';
import { hasHostEntry, hostKeysFromConsole, knownHostsLines } from '../../../src/cli/host-keys.js';

const ED = 'AAAAC3NzaC1lZDI1NTE5AAAAIBqk0T2YdTq1wN3xgJ4lP8rO2+Yx0g1Qz3mJb0aHcXyZ';
const RSA = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQC7u/8=';
const console = [
  'booting…',
  '-----BEGIN SSH HOST KEY KEYS-----',
  'ssh-ed25519 AAAAold root@old',
  '-----END SSH HOST KEY KEYS-----',
  'kumo-tiny: rebooting',
  '-----BEGIN SSH HOST KEY FINGERPRINTS-----\r',
  '256 SHA256:abc root@ip-172-31-0-4 (ED25519)\r',
  '-----END SSH HOST KEY FINGERPRINTS-----\r',
  '-----BEGIN SSH HOST KEY KEYS-----\r',
  `ssh-ed25519 ${ED} root@ip-172-31-0-4\r`,
  `ssh-rsa ${RSA} root@ip-172-31-0-4\r`,
  'ssh-ed25519 not;base64 x\r',
  '-----END SSH HOST KEY KEYS-----\r',
  'kumo-tiny: ready',
].join('\n');

describe('host-key pinning from the console', () => {
  it('takes the keys of the last host-key block, without comments or CRs', () => {
    expect(hostKeysFromConsole(console)).toEqual([`ssh-ed25519 ${ED}`, `ssh-rsa ${RSA}`]);
  });

  it('finds nothing without a complete block', () => {
    expect(hostKeysFromConsole('')).toEqual([]);
    expect(hostKeysFromConsole('-----BEGIN SSH HOST KEY KEYS-----\nssh-ed25519 AAAA x\n')).toEqual(
      [],
    );
    expect(hostKeysFromConsole('ssh-ed25519 AAAA\n-----END SSH HOST KEY KEYS-----')).toEqual([]);
  });

  it('writes one known_hosts line per key under the instance id, and sees it there later', () => {
    const lines = knownHostsLines('i-0123456789abcdef0', [`ssh-ed25519 ${ED}`]);
    expect(lines).toBe(`i-0123456789abcdef0 ssh-ed25519 ${ED}\n`);
    expect(hasHostEntry(lines, 'i-0123456789abcdef0')).toBe(true);
    expect(hasHostEntry(lines, 'i-0123456789abcdef1')).toBe(false);
    expect(hasHostEntry(`other,i-1 ssh-rsa ${RSA}\n`, 'i-1')).toBe(true);
    expect(hasHostEntry('', 'i-1')).toBe(false);
  });
});
