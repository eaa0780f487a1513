import { describe, expect, it } from 'vitest';
import { LinuxVpcPlumbing } from '../../../../src/host/network/linux-vpc-plumbing.js';
import {
  parseRoutes,
  parseRules,
  planPolicyRouting,
  renderBatch,
  type MeasuredRouting,
  type PolicyRoutingSpec,
} from '../../../../src/host/network/policy-routing.js';
import type { NetworkHost } from '../../../../src/host/network/specs.js';
import type { VpcRouting } from '../../../../src/network/route-plan.js';
import type { Vpc } from '../../../../src/network/vpc.js';
import { expectGolden } from './golden.js';

const vpc: Vpc = {
  id: 'vpc-0123456789abcdef0',
  cidr: '10.0.0.0/16',
  isDefault: false,
  routerPublicIp: '100.80.0.2',
};
const A = 'subnet-0aaaaaaaaaaaaaaa1';
const B = 'subnet-0bbbbbbbbbbbbbbb2';
const routing: VpcRouting = {
  tables: [
    {
      routeTableId: 'rtb-00000000000000001',
      routes: [{ destination: '203.0.113.0/24', hop: { kind: 'gateway' } }],
    },
    {
      routeTableId: 'rtb-00000000000000002',
      routes: [
        { destination: '0.0.0.0/0', hop: { kind: 'gateway' } },
        {
          destination: '198.51.100.0/24',
          hop: {
            kind: 'instance',
            instanceId: 'i-0123456789abcdef0',
            privateIp: '10.0.2.10',
            subnetId: B,
          },
        },
        { destination: '192.0.2.0/24', hop: { kind: 'blackhole' } },
      ],
    },
  ],
  subnets: [
    { subnetId: A, routeTableId: 'rtb-00000000000000002' },
    { subnetId: B, routeTableId: 'rtb-00000000000000001' },
  ],
};

function spec(): PolicyRoutingSpec {
  const host = {} as NetworkHost;
  return new LinuxVpcPlumbing(host, {
    prefix: 'kumo',
    publicBridge: 'kumo-pub',
    publicCidr: '100.80.0.0/24',
    runDir: '/run/kumo/net',
    metadataSocketDir: '/run/kumo/metadata',
    domain: 'kumo.internal',
    dnsServers: [],
  }).routingSpec(vpc, routing);
}
const links = new Set(['lo', 'uplink', 'br0aaaaaaaaaaa', 'br0bbbbbbbbbbb']);
const empty: MeasuredRouting = { rules: [], routes: [], links };

describe('policy routing of a VPC router', () => {
  it('programs a fresh namespace: local first, a rule per subnet bridge, a table per route table (golden)', () => {
    expectGolden('policy-routing-fresh.batch', renderBatch(planPolicyRouting(spec(), empty)));
  });

  it('does nothing when the namespace already matches (idempotent, no duplicates)', () => {
    const s = spec();
    expect(planPolicyRouting(s, { rules: s.rules, routes: s.routes, links })).toEqual([]);
  });

  it('removes rules and routes of kumo’s ranges that the state no longer has, after adding the new ones', () => {
    const s = spec();
    const stale: MeasuredRouting = {
      links,
      rules: [...s.rules, { pref: 10100, iif: 'br0ccccccccccc', table: '10003' }],
      routes: [
        ...s.routes,
        { table: 10003, dst: '0.0.0.0/0', type: 'blackhole' },
        {
          table: 10002,
          dst: '172.16.0.0/12',
          type: 'unicast',
          gateway: '10.0.2.11',
          dev: 'br0bbbbbbbbbbb',
        },
      ],
    };
    expect(renderBatch(planPolicyRouting(s, stale))).toBe(
      [
        'rule del pref 10100 iif br0ccccccccccc lookup 10003',
        'route del blackhole 0.0.0.0/0 table 10003',
        'route del 172.16.0.0/12 table 10002',
        '',
      ].join('\n'),
    );
  });

  it('replaces a route whose target changed in place (blackhole after the NAT instance stopped)', () => {
    const s = spec();
    const now = s.routes.map((r) =>
      r.dst === '198.51.100.0/24' ? { table: r.table, dst: r.dst, type: 'blackhole' } : r,
    );
    expect(planPolicyRouting(s, { rules: s.rules, routes: now, links })).toEqual([
      [
        'route',
        'replace',
        '198.51.100.0/24',
        'via',
        '10.0.2.10',
        'dev',
        'br0bbbbbbbbbbb',
        'onlink',
        'realm',
        '522',
        'table',
        '10002',
      ],
    ]);
  });

  it('blackholes a route through a bridge that is not there yet instead of failing or leaking', () => {
    const without = new Set(['lo', 'uplink', 'br0aaaaaaaaaaa']);
    const batch = renderBatch(planPolicyRouting(spec(), { ...empty, links: without }));
    expect(batch).toContain('route replace blackhole 198.51.100.0/24 table 10002');
    expect(batch).not.toContain('10.0.2.10');
  });

  it('refuses what it must not write into a batch file', () => {
    const s = spec();
    expect(() => planPolicyRouting({ ...s, rules: [{ pref: 5, table: 'main' }] }, empty)).toThrow(
      /range/,
    );
    expect(() =>
      planPolicyRouting(
        {
          ...s,
          routes: [
            { table: 10001, dst: '1.2.3.0/24', type: 'unicast', gateway: '1.2.3.4', dev: 'a b' },
          ],
        },
        empty,
      ),
    ).toThrow(/interface name/);
    expect(() =>
      planPolicyRouting(
        { ...s, routes: [{ table: 1, dst: '1.2.3.0/24', type: 'blackhole' }] },
        empty,
      ),
    ).toThrow(/range/);
  });

  it('reads kumo’s rules and tables out of ip -j, ignoring everything else', () => {
    const rules =
      '[{"priority":0,"src":"all","table":"local"},{"priority":10000,"src":"all","dst":"10.0.0.0","dstlen":16,"table":"main"},' +
      '{"priority":10100,"src":"all","iif":"br-zz","iif_detached":null,"table":"10001"},{"priority":32766,"src":"all","table":"main"}]';
    expect(parseRules(rules)).toEqual([
      { pref: 10000, iif: undefined, to: '10.0.0.0/16', table: 'main' },
      { pref: 10100, iif: 'br-zz', to: undefined, table: '10001' },
    ]);
    const routes =
      '[{"type":"blackhole","dst":"default","table":"10001","flags":[]},' +
      '{"dst":"198.51.100.0/24","gateway":"10.0.1.9","dev":"br0","table":"10001","flags":["onlink"],"flow":{"to":"265"}},' +
      '{"type":"unreachable","dst":"192.0.2.1","table":"10001","flags":[]},' +
      '{"dst":"10.0.1.0/24","dev":"br0","protocol":"kernel","scope":"link","prefsrc":"10.0.1.1","flags":[]},' +
      '{"type":"local","dst":"10.0.1.1","dev":"br0","table":"local","protocol":"kernel","scope":"host","flags":[]}]';
    expect(parseRoutes(routes)).toEqual([
      { table: 10001, dst: '0.0.0.0/0', type: 'blackhole', gateway: undefined, dev: undefined },
      {
        table: 10001,
        dst: '198.51.100.0/24',
        type: 'unicast',
        gateway: '10.0.1.9',
        dev: 'br0',
        realm: 265,
      },
      {
        table: 10001,
        dst: '192.0.2.1/32',
        type: 'unreachable',
        gateway: undefined,
        dev: undefined,
      },
    ]);
    // A foreign route type in kumo's table goes with its type named.
    const s = spec();
    expect(
      renderBatch(
        planPolicyRouting(s, {
          rules: s.rules,
          routes: [...s.routes, ...parseRoutes(routes).slice(2)],
          links,
        }),
      ),
    ).toBe('route del unreachable 192.0.2.1/32 table 10001\n');
  });
});
