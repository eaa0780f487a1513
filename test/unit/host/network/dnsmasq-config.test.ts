import { describe, expect, it } from 'vitest';
import type { SubnetHostSpec } from '../../../../src/host/network/specs.js';
import {
  pruneLeases,
  renderDhcpHosts,
  renderDnsHosts,
  renderDnsmasqConfig,
  reverseZones,
} from '../../../../src/host/network/dnsmasq-config.js';
import { expectGolden } from './golden.js';

const spec: SubnetHostSpec = {
  subnetId: 'subnet-0123456789abcdef0',
  netns: 'kumo-vpc-0123456789abcdef0',
  bridge: 'br0123456789ab',
  gatewayAddress: '172.31.0.1/20',
  cidr: '172.31.0.0/20',
  domain: 'kumo.internal',
  dnsServers: [],
  reservations: [
    { mac: '52:54:00:AB:CD:EF', ip: '172.31.0.10', hostname: 'ip-172-31-0-10' },
    { mac: '52:54:00:12:34:56', ip: '172.31.0.4', hostname: 'ip-172-31-0-4' },
  ],
  runDir: '/run/kumo/net/subnet-0123456789abcdef0',
};

describe('renderDnsmasqConfig', () => {
  it('renders a DHCP-only, reservations-only configuration (golden)', () => {
    expectGolden('dnsmasq.conf.txt', renderDnsmasqConfig(spec, { user: 'nobody' }));
  });

  it('hands out the DNS servers it is given (golden)', () => {
    expectGolden(
      'dnsmasq-dns.conf.txt',
      renderDnsmasqConfig(
        {
          ...spec,
          cidr: '10.0.8.0/24',
          gatewayAddress: '10.0.8.1/24',
          dnsServers: ['10.0.8.2', '1.1.1.1'],
        },
        { user: 'root' },
      ),
    );
  });

  it.each([
    ['domain', { domain: 'evil\ndhcp-script=/bin/sh' }],
    ['DNS server', { dnsServers: ['1.1.1.1,2.2.2.2'] }],
    ['gateway', { gatewayAddress: 'x/20' }],
    ['path', { runDir: 'relative/dir' }],
    ['path', { runDir: '/run/with space' }],
  ] as const)('refuses a bad %s instead of writing it into the file', (what, patch) => {
    expect(() => renderDnsmasqConfig({ ...spec, ...patch }, { user: 'nobody' })).toThrow(what);
  });

  it('serves the VPC resolver on the gateway when the VPC has DNS support (golden)', () => {
    expectGolden(
      'dnsmasq-vpc-dns.conf.txt',
      renderDnsmasqConfig(
        {
          ...spec,
          cidr: '10.0.1.0/24',
          gatewayAddress: '10.0.1.1/24',
          dns: { vpcCidr: '10.0.0.0/16', records: [] },
        },
        { user: 'nobody' },
      ),
    );
  });

  it("forwards only names outside the VPC, to the operator's DNS servers", () => {
    const conf = renderDnsmasqConfig(
      { ...spec, dnsServers: ['192.0.2.53'], dns: { vpcCidr: '172.31.0.0/16', records: [] } },
      { user: 'nobody' },
    );
    expect(conf).toContain('server=192.0.2.53');
    expect(conf).toContain('local=/kumo.internal/');
    expect(conf).toContain('local=/31.172.in-addr.arpa/');
    // Guests are told to ask the VPC resolver, not the upstream servers.
    expect(conf).toContain('dhcp-option=option:dns-server,172.31.0.1\n');
  });

  it('refuses a bridge name Linux would reject', () => {
    expect(() =>
      renderDnsmasqConfig({ ...spec, bridge: 'br0123456789abcdef' }, { user: 'nobody' }),
    ).toThrow(/15/);
  });
});

describe('renderDhcpHosts', () => {
  it('writes mac,ip,hostname lines ordered by address (golden)', () => {
    expectGolden('dhcp-hosts.txt', renderDhcpHosts(spec.reservations));
  });

  it('is empty without reservations', () => {
    expect(renderDhcpHosts([])).toBe('');
  });

  it.each([
    ['MAC', { mac: '52:54:00:ab:cd', ip: '172.31.0.4', hostname: 'h' }],
    ['reserved IP', { mac: '52:54:00:ab:cd:ef', ip: '172.31.0.400', hostname: 'h' }],
    ['hostname', { mac: '52:54:00:ab:cd:ef', ip: '172.31.0.4', hostname: 'a,b' }],
    ['hostname', { mac: '52:54:00:ab:cd:ef', ip: '172.31.0.4', hostname: 'a\nb' }],
  ])('refuses a bad %s', (what, r) => {
    expect(() => renderDhcpHosts([r])).toThrow(what);
  });
});

describe('pruneLeases', () => {
  const leases = [
    '1700000000 52:54:00:12:34:56 172.31.0.4 ip-172-31-0-4 01:52:54:00:12:34:56',
    '1700000000 52:54:00:99:99:99 172.31.0.10 old-instance *',
    'duid 00:01:00:01:2c:00:00:00:52:54:00:00:00:01',
    '',
  ].join('\n');

  it('drops leases whose MAC -> IP pair is no longer reserved and keeps the rest', () => {
    const r = pruneLeases(leases, spec.reservations);
    expect(r.dropped).toBe(1);
    expect(r.text).not.toContain('52:54:00:99:99:99');
    expect(r.text).toContain('172.31.0.4 ip-172-31-0-4');
    expect(r.text).toContain('duid ');
  });

  it('changes nothing when every lease is reserved', () => {
    const r = pruneLeases(
      leases
        .split('\n')
        .filter((l) => !l.includes('99:99'))
        .join('\n'),
      spec.reservations,
    );
    expect(r.dropped).toBe(0);
  });
});

describe('reverseZones', () => {
  it.each([
    ['10.0.0.0/16', ['0.10.in-addr.arpa']],
    ['10.0.1.0/24', ['1.0.10.in-addr.arpa']],
    ['192.168.0.0/23', ['168.192.in-addr.arpa']],
    ['172.31.0.0/20', ['31.172.in-addr.arpa']],
    ['10.1.2.16/28', ['2.1.10.in-addr.arpa']],
  ])('%s is answered in %j', (block, zones) => {
    expect(reverseZones(block)).toEqual(zones);
  });
});

describe('renderDnsHosts', () => {
  it('writes one "ip name" line per record, ordered by address (golden)', () => {
    expectGolden(
      'dns-hosts.txt',
      renderDnsHosts([
        { ip: '10.0.2.4', name: 'ip-10-0-2-4.kumo.internal' },
        { ip: '10.0.1.10', name: 'ip-10-0-1-10.kumo.internal' },
      ]),
    );
  });

  it('refuses a name that would add lines to the file', () => {
    expect(() => renderDnsHosts([{ ip: '10.0.1.4', name: 'a\n1.2.3.4 evil' }])).toThrow('DNS name');
  });
});

describe('renderDhcpHosts without host names', () => {
  it('leaves the name out when the VPC has DNS hostnames off', () => {
    expect(renderDhcpHosts([{ mac: '52:54:00:12:34:56', ip: '10.0.1.4' }])).toBe(
      '52:54:00:12:34:56,10.0.1.4\n',
    );
  });
});
