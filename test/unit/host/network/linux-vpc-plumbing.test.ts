import { describe, expect, it } from 'vitest';
import { LinuxVpcPlumbing } from '../../../../src/host/network/linux-vpc-plumbing.js';
import type { NetworkHost } from '../../../../src/host/network/specs.js';
import type { NetworkInterface } from '../../../../src/network/network-interface.js';
import type { Subnet, Vpc } from '../../../../src/network/vpc.js';

const vpc: Vpc = {
  id: 'vpc-0123456789abcdef0',
  cidr: '172.31.0.0/16',
  isDefault: true,
  routerPublicIp: '100.80.0.2',
};
const subnet: Subnet = {
  id: 'subnet-0fedcba9876543210',
  vpcId: vpc.id,
  cidr: '172.31.0.0/20',
  isDefault: true,
};
const eni: NetworkInterface = {
  id: 'eni-00000000000000001',
  instanceId: 'i-0a1b2c3d4e5f60718',
  vpcId: vpc.id,
  subnetId: subnet.id,
  privateIp: '172.31.0.4',
  publicIp: '100.80.0.3',
  mac: '52:54:00:06:07:18',
};

function plumbing() {
  const calls: { name: string; spec: unknown }[] = [];
  const rec = (name: string) => (spec: unknown) => {
    calls.push({ name, spec });
    return Promise.resolve();
  };
  const host: NetworkHost = {
    ensurePublicBridge: rec('ensurePublicBridge'),
    ensureVpc: rec('ensureVpc'),
    removeVpc: rec('removeVpc'),
    ensureSubnet: rec('ensureSubnet'),
    removeSubnet: rec('removeSubnet'),
    ensureTaps: (spec) => {
      calls.push({ name: 'ensureTaps', spec });
      return Promise.resolve(spec.map((t) => t.tap));
    },
    removeTap: rec('removeTap'),
    applyVpcRules: rec('applyVpcRules'),
    applyVpcRouting: rec('applyVpcRouting'),
    isolatePorts: rec('isolatePorts'),
    forgetFlows: rec('forgetFlows'),
    ensureLanAccess: rec('ensureLanAccess'),
  };
  const p = new LinuxVpcPlumbing(host, {
    prefix: 'kumo',
    publicBridge: 'kumo-pub',
    publicCidr: '100.80.0.0/24',
    runDir: '/run/kumo/net',
    metadataSocketDir: '/run/kumo/metadata',
    domain: 'kumo.internal',
    dnsServers: [],
  });
  return { p, calls };
}

describe('LinuxVpcPlumbing names and specs', () => {
  it('names the VPC namespace, uplink and sockets from ids, with kumo mark and Linux lengths', () => {
    expect(plumbing().p.vpcSpec(vpc)).toEqual({
      vpcId: vpc.id,
      netns: 'kumo-vpc-0123456789abcdef0',
      publicBridge: 'kumo-pub',
      uplinkHostIf: 'kv0123456789ab',
      uplinkVpcIf: 'uplink',
      routerAddress: '100.80.0.2/24',
      publicGateway: '100.80.0.1',
      metadataSocket: '/run/kumo/metadata/vpc-0123456789abcdef0.sock',
      runDir: '/run/kumo/net/vpc-0123456789abcdef0',
    });
  });

  it("gives a subnet's bridge its gateway (the first host address) and the reservations", () => {
    const spec = plumbing().p.subnetSpec(vpc, subnet, [
      { mac: eni.mac, ip: eni.privateIp, hostname: 'ip-172-31-0-4' },
    ]);
    expect(spec).toMatchObject({
      netns: 'kumo-vpc-0123456789abcdef0',
      bridge: 'br0fedcba98765',
      gatewayAddress: '172.31.0.1/20',
      domain: 'kumo.internal',
    });
    expect(spec.reservations).toHaveLength(1);
  });

  it('makes the public bridge once, then the VPC; ports come back with their tap and MAC', async () => {
    const { p, calls } = plumbing();
    await p.ensureVpc(vpc);
    await p.ensureVpc(vpc);
    expect(calls.map((c) => c.name)).toEqual(['ensurePublicBridge', 'ensureVpc', 'ensureVpc']);
    expect(calls[0]?.spec).toEqual({ bridge: 'kumo-pub', hostAddress: '100.80.0.1/24' });
    const ports = await p.ensurePorts(vpc, [eni]);
    expect(ports.get(eni.instanceId)).toEqual({
      netns: 'kumo-vpc-0123456789abcdef0',
      tap: 'tap0a1b2c3d4e5f',
      mac: eni.mac,
      created: true,
    });
    expect(calls.at(-1)?.spec).toEqual([
      { netns: 'kumo-vpc-0123456789abcdef0', bridge: 'br0fedcba98765', tap: 'tap0a1b2c3d4e5f' },
    ]);
  });

  it('renders rules for exactly the interfaces given: anti-spoofing per port, NAT per public IP', async () => {
    const { p, calls } = plumbing();
    await p.applyRules(
      vpc,
      [eni, { ...eni, instanceId: 'i-0000000000000000b', publicIp: undefined }],
      [],
    );
    expect(calls[0]?.spec).toMatchObject({
      ports: [
        { tap: 'tap0a1b2c3d4e5f', mac: eni.mac, ip: '172.31.0.4' },
        { tap: 'tap000000000000', mac: eni.mac, ip: '172.31.0.4' },
      ],
      publicIps: [{ publicIp: '100.80.0.3', privateIp: '172.31.0.4' }],
    });
  });
});
