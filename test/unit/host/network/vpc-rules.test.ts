import { describe, expect, it } from 'vitest';
import type { VpcRulesSpec } from '../../../../src/host/network/specs.js';
import { renderVpcRules } from '../../../../src/host/network/vpc-rules.js';
import { planUplinkAddresses } from '../../../../src/host/network/uplink-addresses.js';
import { expectGolden } from './golden.js';

const spec: VpcRulesSpec = {
  netns: 'kumo-vpc-0123456789abcdef0',
  uplinkVpcIf: 'uplink',
  vpcCidr: '172.31.0.0/16',
  ports: [
    {
      tap: 'tap0123456789ab',
      mac: '52:54:00:AB:CD:EF',
      ip: '172.31.0.4',
      metadata: { hopLimit: 1, enabled: true },
    },
    {
      tap: 'tapfedcba987654',
      mac: '52:54:00:12:34:56',
      ip: '172.31.0.5',
      metadata: { hopLimit: 3, enabled: false },
    },
  ],
  publicIps: [
    { publicIp: '100.80.0.10', privateIp: '172.31.0.4' },
    { publicIp: '100.80.0.11', privateIp: '172.31.0.5' },
  ],
};

describe('renderVpcRules', () => {
  it('renders NAT, anti-spoofing and the hooks as one restore transaction (golden)', () => {
    expectGolden('vpc-rules.txt', renderVpcRules(spec));
  });

  it('still hooks the chains and drops every bridge port when there are no instances (golden)', () => {
    expectGolden('vpc-rules-empty.txt', renderVpcRules({ ...spec, ports: [], publicIps: [] }));
  });

  it('refuses a metadata hop limit outside 1-255', () => {
    const port = spec.ports[0]!;
    for (const hopLimit of [0, 256, 1.5]) {
      expect(() =>
        renderVpcRules({ ...spec, ports: [{ ...port, metadata: { hopLimit, enabled: true } }] }),
      ).toThrow(/hop limit/);
    }
  });

  it('marks every rule with the kumo comment', () => {
    const rules = renderVpcRules(spec)
      .split('\n')
      .filter((l) => l.startsWith('-A '));
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(r).toContain('-m comment --comment kumo');
  });

  it('refuses names and addresses that would change the meaning of the file', () => {
    const port = spec.ports[0]!;
    expect(() =>
      renderVpcRules({ ...spec, ports: [{ ...port, tap: 'tap0123456789abcd' }] }),
    ).toThrow(/15/);
    expect(() =>
      renderVpcRules({ ...spec, ports: [{ ...port, tap: 'tap0 -j ACCEPT' }] }),
    ).toThrow();
    expect(() => renderVpcRules({ ...spec, ports: [{ ...port, mac: 'nope' }] })).toThrow(/MAC/);
    expect(() =>
      renderVpcRules({
        ...spec,
        publicIps: [{ publicIp: '100.80.0.10 -j ACCEPT', privateIp: '1.2.3.4' }],
      }),
    ).toThrow();
    expect(() => renderVpcRules({ ...spec, uplinkVpcIf: 'up link' })).toThrow();
  });
});

describe('planUplinkAddresses', () => {
  it('adds missing public IPs as /32 and removes stale /32s, never the router address', () => {
    const plan = planUplinkAddresses(
      ['100.80.0.2/24', '100.80.0.10/32', '100.80.0.99/32'],
      spec.publicIps,
    );
    expect(plan).toEqual({ add: ['100.80.0.11/32'], remove: ['100.80.0.99/32'] });
  });

  it('does nothing when the uplink already matches', () => {
    expect(
      planUplinkAddresses(['100.80.0.2/24', '100.80.0.11/32', '100.80.0.10/32'], spec.publicIps),
    ).toEqual({ add: [], remove: [] });
  });
});
