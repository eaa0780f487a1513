import { describe, expect, it } from 'vitest';
import { IpLinks } from '../../../../src/host/network/ip-link.js';
import type { VpcRulesSpec } from '../../../../src/host/network/specs.js';
import { VpcFirewall } from '../../../../src/host/network/vpc-firewall.js';
import { RecordingRunner } from './recording-runner.js';

const NS = 'kumo-vpc1';
const GROUP = 'sg-0123456789abcdef0';
const SET = 'kumo-0123456789abcdef0';
const spec: VpcRulesSpec = {
  netns: NS,
  uplinkVpcIf: 'uplink',
  vpcCidr: '10.0.0.0/16',
  ports: [{ tap: 'tapa', mac: '52:54:00:00:00:0a', ip: '10.0.1.10', groupIds: [GROUP] }],
  groups: [
    {
      id: GROUP,
      rules: [{ egress: false, protocol: 'tcp', fromPort: 22, toPort: 22, peerSet: SET }],
    },
  ],
  sets: [{ name: SET, members: ['10.0.1.10'] }],
  publicIps: [{ publicIp: '100.80.0.10', privateIp: '10.0.1.10' }],
};
const UPLINK_JSON = JSON.stringify([
  {
    ifindex: 2,
    ifname: 'uplink',
    flags: ['UP'],
    addr_info: [{ family: 'inet', local: '100.80.0.9', prefixlen: 32 }],
  },
]);

/** A namespace that has a gone port's chains and a gone group's set from before a restart. */
function firewall() {
  const runner = new RecordingRunner((line) => {
    if (line === 'iptables-save -t filter')
      return '*filter\n:KUMO-I-tapgone - [0:0]\n:KUMO-O-tapgone - [0:0]\n:FORWARD ACCEPT [0:0]\nCOMMIT\n';
    if (line === 'ipset list -n') return `${SET}\nkumo-0fedcba987654321f\nsomeone-elses\n`;
    if (line === 'ip -j -d addr show dev uplink') return UPLINK_JSON;
  });
  return { runner, fw: new VpcFirewall(runner, new IpLinks(runner, undefined)) };
}

describe('VpcFirewall', () => {
  it('measures once: removes a gone port’s chains, a gone group’s set and a stale uplink address', async () => {
    const { runner, fw } = firewall();
    await fw.apply(spec);
    const byLine = new Map(runner.commands.map((c) => [c.line, c.input]));
    expect([...byLine.keys()].sort()).toEqual(
      [
        'iptables-save -t filter',
        'ipset -exist restore',
        'iptables-restore --noflush',
        'ebtables-restore --noflush',
        'ip -j -d addr show dev uplink',
        'ip -batch -',
        'ipset list -n',
      ].sort(),
    );
    expect(byLine.get('iptables-restore --noflush')).toMatch(/^-X KUMO-I-tapgone$/m);
    expect(byLine.get('iptables-restore --noflush')).toMatch(/^-X KUMO-O-tapgone$/m);
    expect(byLine.get('ip -batch -')).toBe(
      'addr add 100.80.0.10/32 dev uplink\naddr del 100.80.0.9/32 dev uplink\n',
    );
    // The set list's last answer is only the destroy; someone else's set is left alone.
    const restores = runner.commands.filter((c) => c.line === 'ipset -exist restore');
    expect(restores.at(-1)?.input).toBe('destroy kumo-0fedcba987654321f\n');
  });

  it('applies the same spec again with the two rule transactions alone', async () => {
    const { runner, fw } = firewall();
    await fw.apply(spec);
    runner.take();
    await fw.apply(spec);
    expect(runner.take().sort()).toEqual([
      'ebtables-restore --noflush',
      'iptables-restore --noflush',
    ]);
  });

  it('a membership change writes only the set’s difference', async () => {
    const { runner, fw } = firewall();
    await fw.apply(spec);
    runner.take();
    await fw.applySets(NS, [{ name: SET, members: ['10.0.1.10', '10.0.1.11'] }]);
    expect(runner.commands.map((c) => [c.line, c.input])).toEqual([
      ['ipset -exist restore', `create ${SET} hash:ip family inet\nadd ${SET} 10.0.1.11\n`],
    ]);
  });

  it('forget makes the next apply measure chains, sets and addresses again', async () => {
    const { runner, fw } = firewall();
    await fw.apply(spec);
    fw.forget(NS);
    runner.take();
    await fw.apply(spec);
    expect(runner.take()).toEqual(
      expect.arrayContaining([
        'iptables-save -t filter',
        'ip -j -d addr show dev uplink',
        'ipset list -n',
      ]),
    );
  });
});
