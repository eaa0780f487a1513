import { describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/compute/instance.js';
import { MetadataService } from '../../../src/network/metadata-service.js';
import { publicHostname } from '../../../src/network/naming.js';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import { subnetDhcpDns } from '../../../src/network/subnet-dhcp-dns.js';
import type { Subnet, Vpc } from '../../../src/network/vpc.js';
import { ManualClock, TINY_IMAGE } from '../../fakes/compute-deps.js';

const vpc: Vpc = {
  id: 'vpc-0000000000000000a',
  cidr: '10.0.0.0/16',
  isDefault: false,
  routerPublicIp: '100.80.0.2',
  enableDnsSupport: true,
  enableDnsHostnames: true,
};
const subnet: Subnet = {
  id: 'subnet-00000000000000001',
  vpcId: vpc.id,
  cidr: '10.0.1.0/24',
  isDefault: false,
};
const eni = (n: number, publicIp?: string): NetworkInterface => ({
  id: `eni-${String(n).padStart(17, '0')}`,
  instanceId: `i-${String(n).padStart(17, '0')}`,
  vpcId: vpc.id,
  subnetId: subnet.id,
  privateIp: `10.0.1.${n + 3}`,
  publicIp,
  mac: `52:54:00:00:00:0${n}`,
});
const publicNames = (ips: Record<string, string>) => ({
  domain: 'compute.kumo.internal',
  ipOf: (e: NetworkInterface) => ips[e.id],
});

describe('public DNS names (EC2: ec2-<public ip>.<domain>, private address inside the VPC)', () => {
  it('spells the public address with dashes under the public domain', () => {
    expect(publicHostname('198.51.100.7', 'compute.kumo.internal')).toBe(
      'ec2-198-51-100-7.compute.kumo.internal',
    );
  });

  it('makes the VPC resolver answer a public name with the private address, private name first', () => {
    const [a, b] = [eni(1), eni(2)];
    const { dns } = subnetDhcpDns(
      vpc,
      subnet,
      [a, b],
      'kumo.internal',
      publicNames({ [a.id]: '100.80.0.9' }),
    );
    expect(dns?.records).toEqual([
      { ip: '10.0.1.4', name: 'ip-10-0-1-4.kumo.internal' },
      { ip: '10.0.1.4', name: 'ec2-100-80-0-9.compute.kumo.internal' },
      { ip: '10.0.1.5', name: 'ip-10-0-1-5.kumo.internal' },
    ]);
  });

  it('gives no public names in a VPC without DNS hostnames, nor without a public domain', () => {
    const a = eni(1);
    const off = subnetDhcpDns(
      { ...vpc, enableDnsHostnames: false },
      subnet,
      [a],
      'kumo.internal',
      publicNames({ [a.id]: '100.80.0.9' }),
    );
    expect(off.dns?.records).toEqual([{ ip: '10.0.1.4', name: 'ip-10-0-1-4.kumo.internal' }]);
    const none = subnetDhcpDns(vpc, subnet, [a], 'kumo.internal');
    expect(none.dns?.records).toEqual([{ ip: '10.0.1.4', name: 'ip-10-0-1-4.kumo.internal' }]);
  });

  describe('metadata public-hostname', () => {
    const instance = (publicIp?: string): Instance => ({
      id: 'i-00000000000000001',
      reservationId: 'r-0123456789abcdef0',
      imageId: TINY_IMAGE.id,
      instanceType: 't3.micro',
      state: 'running',
      stateTransitionReason: '',
      launchTime: new Date('2026-01-01T00:00:00Z'),
      tags: [],
      launchIndex: 0,
      network: { ...eni(1, publicIp) },
    });
    const get = (i: Instance, hostnames: boolean, path: string) =>
      new MetadataService(
        { byPrivateIp: () => i },
        { domain: 'kumo.internal', region: 'kumo-local-1', publicDomain: 'compute.kumo.internal' },
        new ManualClock(),
        undefined,
        { dnsHostnames: () => hostnames },
      ).handle(vpc.id, '10.0.1.4', { method: 'GET', path, headers: {} });

    it('names the public address in a VPC with DNS hostnames, and lists it', () => {
      const i = instance('100.80.0.9');
      expect(get(i, true, '/latest/meta-data/public-hostname').body).toBe(
        'ec2-100-80-0-9.compute.kumo.internal',
      );
      expect(String(get(i, true, '/latest/meta-data/').body).split('\n')).toContain(
        'public-hostname',
      );
      const nic = `/latest/meta-data/network/interfaces/macs/${i.network!.mac}/public-hostname`;
      expect(get(i, true, nic).status).toBe(404); // no interface lookups given: no NIC tree
    });

    it('has no public-hostname without a public address or without DNS hostnames', () => {
      expect(get(instance(), true, '/latest/meta-data/public-hostname').status).toBe(404);
      expect(get(instance('100.80.0.9'), false, '/latest/meta-data/public-hostname').status).toBe(
        404,
      );
    });
  });
});
