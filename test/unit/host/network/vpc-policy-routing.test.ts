import { describe, expect, it } from 'vitest';
import { IpLinks } from '../../../../src/host/network/ip-link.js';
import type { PolicyRoutingSpec } from '../../../../src/host/network/policy-routing.js';
import { VpcPolicyRouting } from '../../../../src/host/network/vpc-policy-routing.js';
import { ipLinksJson, RecordingRunner } from './recording-runner.js';

const NS = 'kumo-vpc1';
const spec: PolicyRoutingSpec = {
  netns: NS,
  rules: [
    { pref: 10000, to: '10.0.0.0/16', table: 'main' },
    { pref: 10100, iif: 'br1', table: '10001' },
  ],
  routes: [
    { table: 10001, dst: '0.0.0.0/0', type: 'unicast', gateway: '100.80.0.1', dev: 'uplink' },
  ],
};
const MEASURE = ['ip -4 -j rule show', 'ip -4 -j route show table all', 'ip -j -d addr show'];

function routingWith(links: string[]) {
  const runner = new RecordingRunner((line) =>
    line === 'ip -j -d addr show' ? ipLinksJson(links.map((name) => ({ name }))) : undefined,
  );
  return { runner, routing: new VpcPolicyRouting(runner, new IpLinks(runner, undefined)) };
}

describe('VpcPolicyRouting', () => {
  it('measures and writes a new spec, then skips the same spec while its links are known', async () => {
    const { runner, routing } = routingWith(['lo', 'uplink', 'br1']);
    await routing.apply(spec, () => true);
    const commands = runner.take();
    expect(commands.slice(0, 3).sort()).toEqual([...MEASURE].sort());
    expect(commands.slice(3)).toEqual(['ip -batch -']);
    await routing.apply(spec, () => true);
    expect(runner.take()).toEqual([]);
  });

  it('measures again when a link it routes through is no longer known, or the spec changed', async () => {
    const { runner, routing } = routingWith(['lo', 'uplink', 'br1']);
    await routing.apply(spec, () => true);
    runner.take();
    await routing.apply(spec, (dev) => dev !== 'uplink');
    expect(runner.take()).toHaveLength(4);
    await routing.apply({ ...spec, rules: spec.rules.slice(0, 1) }, () => true);
    expect(runner.take()).toHaveLength(4);
  });

  it('does not remember a spec applied while a link was missing (its route went in as a blackhole)', async () => {
    const { runner, routing } = routingWith(['lo', 'br1']);
    await routing.apply(spec, () => true);
    expect(runner.commands.at(-1)?.input).toContain('blackhole');
    runner.take();
    await routing.apply(spec, () => true);
    expect(runner.take()).toHaveLength(4);
  });

  it('forget makes the next apply measure again', async () => {
    const { runner, routing } = routingWith(['lo', 'uplink', 'br1']);
    await routing.apply(spec, () => true);
    routing.forget(NS);
    runner.take();
    await routing.apply(spec, () => true);
    expect(runner.take()).toHaveLength(4);
  });
});
