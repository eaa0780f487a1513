import { describe, expect, it } from 'vitest';
import {
  renderIsolation,
  renderMemberSets,
  ruleMatch,
} from '../../../../src/host/network/security-group-rules.js';
import type { VpcRulesSpec } from '../../../../src/host/network/specs.js';
import { renderVpcRules } from '../../../../src/host/network/vpc-rules.js';
import { expectGolden } from './golden.js';

const WEB = 'sg-0000000000000000a';
const DEF = 'sg-0000000000000000d';
const spec: VpcRulesSpec = {
  netns: 'kumo-vpc-0123456789abcdef0',
  uplinkVpcIf: 'uplink',
  vpcCidr: '172.31.0.0/16',
  ports: [
    { tap: 'tap0123456789ab', mac: '52:54:00:AB:CD:EF', ip: '172.31.0.4', groupIds: [WEB, DEF] },
    {
      tap: 'tapfedcba987654',
      mac: '52:54:00:12:34:56',
      ip: '172.31.0.5',
      groupIds: [DEF],
      sourceDestCheck: false,
    },
  ],
  publicIps: [{ publicIp: '100.80.0.10', privateIp: '172.31.0.4' }],
  groups: [
    {
      id: WEB,
      rules: [
        { egress: false, protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
        { egress: false, protocol: 'udp', fromPort: 5000, toPort: 5010, cidr: '10.0.0.0/8' },
        { egress: false, protocol: 'icmp', fromPort: 8, toPort: -1, cidr: '0.0.0.0/0' },
        { egress: true, protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' },
      ],
    },
    {
      id: DEF,
      rules: [
        {
          egress: false,
          protocol: '-1',
          fromPort: -1,
          toPort: -1,
          peerSet: 'kumo-0000000000000000d',
        },
        { egress: true, protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' },
      ],
    },
  ],
  sets: [{ name: 'kumo-0000000000000000d', members: ['172.31.0.4', '172.31.0.5'] }],
  hostAddresses: ['100.80.0.1', '10.0.2.15'],
};

describe('security group rules', () => {
  it('render per-port chains, group sets, the host guard and anti-spoofing in one transaction (golden)', () => {
    expectGolden('vpc-rules-security-groups.txt', renderVpcRules(spec));
  });

  it('open the host only when the operator opts in (golden)', () => {
    expectGolden('vpc-rules-host-access.txt', renderVpcRules({ ...spec, allowHostAccess: true }));
  });

  it('match each protocol as EC2 means it', () => {
    const r = { egress: false, cidr: '10.0.0.0/8' };
    expect(ruleMatch({ ...r, protocol: 'tcp', fromPort: 22, toPort: 22 })).toBe(
      '-s 10.0.0.0/8 -p tcp -m tcp --dport 22',
    );
    expect(ruleMatch({ ...r, protocol: 'udp', fromPort: 1, toPort: 9 })).toBe(
      '-s 10.0.0.0/8 -p udp -m udp --dport 1:9',
    );
    expect(ruleMatch({ ...r, protocol: 'icmp', fromPort: -1, toPort: -1 })).toBe(
      '-s 10.0.0.0/8 -p icmp',
    );
    expect(ruleMatch({ ...r, protocol: 'icmp', fromPort: 3, toPort: 4 })).toBe(
      '-s 10.0.0.0/8 -p icmp -m icmp --icmp-type 3/4',
    );
    expect(ruleMatch({ ...r, protocol: '50', fromPort: -1, toPort: -1 })).toBe(
      '-s 10.0.0.0/8 -p 50',
    );
    expect(
      ruleMatch({
        egress: true,
        protocol: '-1',
        fromPort: -1,
        toPort: -1,
        peerSet: 'kumo-0123456789abcdef0',
      }),
    ).toBe('-m set --match-set kumo-0123456789abcdef0 dst');
  });

  it('refuse values that would change the meaning of the file', () => {
    const r = { egress: false, protocol: 'tcp', fromPort: 1, toPort: 2 };
    expect(() => ruleMatch({ ...r, cidr: '1.2.3.4/8 -j ACCEPT' })).toThrow();
    expect(() => ruleMatch({ ...r, peerSet: 'x -j ACCEPT' })).toThrow();
    expect(() => ruleMatch({ ...r, protocol: 'tcp -j ACCEPT', cidr: '0.0.0.0/0' })).toThrow();
    expect(() =>
      renderVpcRules({
        ...spec,
        ports: [{ ...spec.ports[0]!, groupIds: ['sg-00000000000000999'] }],
      }),
    ).toThrow(/not in the spec/);
    expect(() =>
      renderMemberSets([{ name: 'kumo-0000000000000000d', members: ['1.2.3.4 x'] }]),
    ).toThrow();
  });

  it('fill sets whole (swap) the first time, then write only the differences', () => {
    const sets = [{ name: 'kumo-0000000000000000d', members: ['172.31.0.4', '172.31.0.5'] }];
    expect(renderMemberSets(sets)).toBe(
      [
        'create kumo-0000000000000000d hash:ip family inet',
        'create kumo-0000000000000000d-n hash:ip family inet',
        'flush kumo-0000000000000000d-n',
        'add kumo-0000000000000000d-n 172.31.0.4',
        'add kumo-0000000000000000d-n 172.31.0.5',
        'swap kumo-0000000000000000d-n kumo-0000000000000000d',
        'destroy kumo-0000000000000000d-n',
        '',
      ].join('\n'),
    );
    const previous = new Map([['kumo-0000000000000000d', new Set(['172.31.0.4', '172.31.0.9'])]]);
    expect(renderMemberSets(sets, previous)).toBe(
      [
        'create kumo-0000000000000000d hash:ip family inet',
        'add kumo-0000000000000000d 172.31.0.5',
        'del kumo-0000000000000000d 172.31.0.9',
        '',
      ].join('\n'),
    );
    // Unchanged since this process last wrote it: nothing to do.
    const same = new Map([['kumo-0000000000000000d', new Set(['172.31.0.5', '172.31.0.4'])]]);
    expect(renderMemberSets(sets, same)).toBe('');
  });

  it("flushes and deletes gone ports' chains in the same transaction", () => {
    const text = renderVpcRules({
      ...spec,
      staleChains: ['KUMO-I-tapdead00000000', 'KUMO-O-tapdead00000000'],
    });
    expect(text).toContain(':KUMO-I-tapdead00000000 - [0:0]');
    expect(text).toContain('-X KUMO-O-tapdead00000000');
    // After every rule, before COMMIT: nothing references them any more by then.
    expect(text.indexOf('-X KUMO-I-tapdead00000000')).toBeGreaterThan(text.lastIndexOf('-A '));
    expect(() => renderVpcRules({ ...spec, staleChains: ['KUMO-I-x -j ACCEPT'] })).toThrow();
  });

  it('isolate ports at the top of the built-in chains (fail closed)', () => {
    expectGolden('isolation.txt', renderIsolation(spec.ports));
  });
});
