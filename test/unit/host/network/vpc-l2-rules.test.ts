import { describe, expect, it } from 'vitest';
import type { VpcRulesSpec } from '../../../../src/host/network/specs.js';
import { renderVpcL2Rules } from '../../../../src/host/network/vpc-l2-rules.js';
import { expectGolden } from './golden.js';

const spec: VpcRulesSpec = {
  netns: 'kumo-vpc-0123456789abcdef0',
  uplinkVpcIf: 'uplink',
  vpcCidr: '172.31.0.0/16',
  ports: [
    { tap: 'tap0123456789ab', mac: '52:54:00:AB:CD:EF', ip: '172.31.0.4' },
    { tap: 'tapfedcba987654', mac: '52:54:00:12:34:56', ip: '172.31.0.5' },
  ],
  publicIps: [],
};

describe('renderVpcL2Rules', () => {
  it('lets each port ARP only as itself and drops other ARP and all IPv6 (golden)', () => {
    expectGolden('vpc-l2-rules.txt', renderVpcL2Rules(spec));
  });

  it('still hooks the chain and drops everything when there are no instances (golden)', () => {
    expectGolden('vpc-l2-rules-empty.txt', renderVpcL2Rules({ ...spec, ports: [] }));
  });

  it('refuses names and addresses that would change the meaning of the file', () => {
    const port = spec.ports[0]!;
    const bad = (p: Partial<typeof port>) => () =>
      renderVpcL2Rules({ ...spec, ports: [{ ...port, ...p }] });
    expect(bad({ tap: 'tap0 -j ACCEPT' })).toThrow();
    expect(bad({ mac: '52:54:00:ab:cd:ef -j ACCEPT' })).toThrow(/MAC/);
    expect(bad({ ip: '172.31.0.4 -j ACCEPT' })).toThrow();
  });
});
