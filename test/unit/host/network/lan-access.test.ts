import { describe, expect, it } from 'vitest';
import { proxiedAddresses, renderLanRules } from '../../../../src/host/network/lan-access.js';

describe('LAN access rules', () => {
  it('forwards the LAN to the pool and drops what instances start outwards (golden)', () => {
    expect(
      renderLanRules({
        mode: 'routed',
        uplink: 'eth0',
        publicBridge: 'kumo-pub',
        publicCidr: '100.80.0.0/24',
        outboundNat: false,
      }),
    ).toBe(
      [
        '# kumo: LAN access to the public pool (iptables-restore --noflush, one transaction)',
        '*filter',
        ':KUMO-LAN-FORWARD - [0:0]',
        '-A KUMO-LAN-FORWARD -i eth0 -o kumo-pub -d 100.80.0.0/24 -m comment --comment kumo -j ACCEPT',
        '-A KUMO-LAN-FORWARD -i kumo-pub -o eth0 -s 100.80.0.0/24 -m conntrack --ctstate ESTABLISHED,RELATED -m comment --comment kumo -j ACCEPT',
        '-A KUMO-LAN-FORWARD -i kumo-pub -o eth0 -s 100.80.0.0/24 -m comment --comment kumo -j DROP',
        'COMMIT',
        '*nat',
        ':KUMO-LAN-OUTBOUND - [0:0]',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('with --outbound-nat, accepts and masquerades what instances start', () => {
    const text = renderLanRules({
      mode: 'proxy-arp',
      uplink: 'eth0',
      publicBridge: 'kumo-pub',
      publicCidr: '100.80.0.0/24',
      outboundNat: true,
    });
    expect(text).toContain(
      '-A KUMO-LAN-FORWARD -i kumo-pub -o eth0 -s 100.80.0.0/24 -m comment --comment kumo -j ACCEPT',
    );
    expect(text).toContain(
      '-A KUMO-LAN-OUTBOUND -s 100.80.0.0/24 -o eth0 -m comment --comment kumo -j MASQUERADE',
    );
    expect(text).not.toContain('DROP');
  });

  it('refuses names that could inject rules', () => {
    expect(() =>
      renderLanRules({
        mode: 'routed',
        uplink: 'eth0 -j ACCEPT',
        publicBridge: 'kumo-pub',
        publicCidr: '100.80.0.0/24',
        outboundNat: false,
      }),
    ).toThrow();
  });

  it('proxies every pool address but the network, the host and the broadcast', () => {
    expect(proxiedAddresses('100.80.0.0/29')).toEqual([
      '100.80.0.2',
      '100.80.0.3',
      '100.80.0.4',
      '100.80.0.5',
      '100.80.0.6',
    ]);
  });
});
