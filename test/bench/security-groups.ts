/**
 * Benchmark: security groups on the host, without guests, in throwaway network namespaces.
 *
 * 1. Applying a group of N rules to M instances (N x M from 10 to 10,000 rule lines) through
 *    kumo's LinuxNetworkHost.applyVpcRules (render, ipset restore, iptables-restore and
 *    ebtables-restore, as kumod runs them) next to a raw `iptables-restore --noflush` of the very
 *    same iptables text, in the same run. The ratio says what kumo adds; how it grows with N x M
 *    says whether that stays proportionate.
 * 2. A membership change (one member joins a group the rules reference) as the group grows from
 *    10 to 5,000 members: kumo's applyMemberSets (only the set changes, not the rules) next to a
 *    raw `ipset add`. It should not grow with the group.
 *
 * Usage: npx tsx test/bench/security-groups.ts [rounds=7]   (root)
 */
import { execa } from 'execa';
import { resolve } from 'node:path';
import { LinuxNetworkHost } from '../../src/host/network/linux-network-host.js';
import type { VpcRulesSpec } from '../../src/host/network/specs.js';
import { renderVpcRules } from '../../src/host/network/vpc-rules.js';
import { SpawnerCommandRunner } from '../../src/host/spawner/spawner-runner.js';
import { createNetns, deleteNetnsWithPrefix, randomTag } from '../integration/harness/netns.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 7);
const ms2 = (x: number): number => Number(x.toFixed(2));
const GROUP = 'sg-0000000000000000a';
const SET = 'kumo-0000000000000000a';

const ip = (k: number) => `172.31.${Math.floor(k / 250)}.${(k % 250) + 2}`;
const hex = (k: number, n: number) => k.toString(16).padStart(n, '0');

/** M ports in one group of N rules (tcp ports, half from CIDRs, half from the group itself). */
function spec(netns: string, n: number, m: number): VpcRulesSpec {
  return {
    netns,
    uplinkVpcIf: 'uplink',
    vpcCidr: '172.31.0.0/16',
    ports: Array.from({ length: m }, (_, k) => ({
      tap: `tap${hex(k, 12)}`,
      mac: `52:54:00:${hex(k >> 16, 2)}:${hex((k >> 8) & 255, 2)}:${hex(k & 255, 2)}`,
      ip: ip(k),
      groupIds: [GROUP],
    })),
    publicIps: [],
    groups: [
      {
        id: GROUP,
        rules: Array.from({ length: n }, (_, r) =>
          r % 2 === 0
            ? {
                egress: false,
                protocol: 'tcp',
                fromPort: 1000 + r,
                toPort: 1000 + r,
                cidr: `10.${r}.0.0/16`,
              }
            : {
                egress: false,
                protocol: 'tcp',
                fromPort: 1000 + r,
                toPort: 1000 + r,
                peerSet: SET,
              },
        ),
      },
    ],
    sets: [{ name: SET, members: Array.from({ length: m }, (_, k) => ip(k)) }],
    hostAddresses: ['100.80.0.1'],
  };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function result(benchmark: string, extra: object, kumoMs: number[], bareMs: number[]) {
  const k = stats(kumoMs).median;
  const b = stats(bareMs).median;
  return {
    benchmark,
    ...extra,
    rounds,
    kumoMs: kumoMs.map(ms2),
    bareMs: bareMs.map(ms2),
    medianKumoMs: ms2(k),
    medianBareMs: ms2(b),
    medianDifferenceMs: ms2(k - b),
    ratio: Number((k / b).toFixed(3)),
  };
}

async function main(): Promise<void> {
  const prefix = `kb${randomTag()}`;
  const hostNs = `${prefix}-host`;
  const runner = new SpawnerCommandRunner([
    process.execPath,
    resolve(import.meta.dirname, '../../dist/host/spawner/spawner-main.js'),
  ]);
  const host = new LinuxNetworkHost(runner, { metadataProxyCommand: ['true'], hostNetns: hostNs });
  const out = (o: object) => process.stdout.write(JSON.stringify(o, null, 2) + '\n');
  try {
    await createNetns(hostNs);
    for (const [n, m] of [
      [10, 1],
      [10, 10],
      [50, 20],
      [50, 200],
    ] as const) {
      // A fresh namespace per size: nothing left from the previous size changes the timings.
      const ns = `${prefix}-n${n}m${m}`;
      await createNetns(ns);
      await execa('nsenter', [
        `--net=/run/netns/${ns}`,
        '--',
        'ip',
        'link',
        'add',
        'uplink',
        'type',
        'veth',
        'peer',
        'name',
        'uplink-peer',
      ]);
      const s = spec(ns, n, m);
      const text = renderVpcRules(s);
      const lines = text.split('\n').filter((l) => l.startsWith('-A ')).length;
      const kumoMs: number[] = [];
      const bareMs: number[] = [];
      const bare = () =>
        execa('nsenter', [`--net=/run/netns/${ns}`, '--', 'iptables-restore', '--noflush'], {
          input: text,
        });
      await host.applyVpcRules(s); // warm-up; also makes the sets the raw text names
      await bare();
      for (let r = 0; r < rounds; r++) {
        if (r % 2 === 0) {
          kumoMs.push(await time(() => host.applyVpcRules(s)));
          bareMs.push(await time(bare));
        } else {
          bareMs.push(await time(bare));
          kumoMs.push(await time(() => host.applyVpcRules(s)));
        }
      }
      out(
        result(
          `security groups: apply ${n} rules x ${m} instances (applyVpcRules) vs raw iptables-restore --noflush of the same text`,
          { rules: n, instances: m, ruleTimesInstances: n * m, iptablesRuleLines: lines },
          kumoMs,
          bareMs,
        ),
      );
    }

    const ns = `${prefix}-members`;
    await createNetns(ns);
    for (const size of [10, 100, 1000, 5000]) {
      const members = Array.from({ length: size }, (_, k) => ip(k));
      await host.applyMemberSets(ns, [{ name: SET, members }]); // whole set, once
      const kumoMs: number[] = [];
      const bareMs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const joiner = ip(size + r);
        kumoMs.push(
          await time(() =>
            host.applyMemberSets(ns, [{ name: SET, members: [...members, joiner] }]),
          ),
        );
        await host.applyMemberSets(ns, [{ name: SET, members }]);
        bareMs.push(
          await time(() =>
            execa('nsenter', [`--net=/run/netns/${ns}`, '--', 'ipset', 'add', SET, joiner]),
          ),
        );
        await execa('nsenter', [`--net=/run/netns/${ns}`, '--', 'ipset', 'del', SET, joiner]);
      }
      out(
        result(
          `security groups: one member joins a group of ${size} (applyMemberSets, rules untouched) vs raw ipset add`,
          { groupMembers: size },
          kumoMs,
          bareMs,
        ),
      );
    }
  } finally {
    runner.close();
    await deleteNetnsWithPrefix(prefix);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
