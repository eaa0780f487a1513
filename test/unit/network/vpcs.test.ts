import { describe, expect, it } from 'vitest';
import { defaultGroupId } from '../../../src/network/security-group-lookup.js';
import type { VpcHooks } from '../../../src/network/vpc-deps.js';
import { DEFAULT_VPC } from '../../fakes/security-groups.js';
import { DEFAULT_SUBNET, fakeVpcServices } from '../../fakes/vpcs.js';

const code = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('VpcService', () => {
  it('creates a VPC with EC2 defaults, its default security group and nothing on the host', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({
      cidrBlock: '10.0.0.0/16',
      tags: [{ key: 'Name', value: 'a' }],
    });
    expect(vpc).toMatchObject({
      cidr: '10.0.0.0/16',
      isDefault: false,
      enableDnsSupport: true,
      enableDnsHostnames: false,
      routerPublicIp: '100.80.0.3',
    });
    expect(vpc.id).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(f.groups.get(defaultGroupId(vpc.id))?.isDefault).toBe(true);
    expect(f.plumbing.calls).toEqual([]);
  });

  it('lets two VPCs use the same CIDR', async () => {
    const f = fakeVpcServices();
    const a = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const b = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    expect(a.id).not.toBe(b.id);
    expect(a.routerPublicIp).not.toBe(b.routerPublicIp);
  });

  it.each([
    ['10.0.0.0/8', 'InvalidVpc.Range'],
    ['10.0.0.0/29', 'InvalidVpc.Range'],
    ['169.254.0.0/16', 'InvalidVpc.Range'],
    ['127.0.0.0/16', 'InvalidVpc.Range'],
    ['100.80.0.0/16', 'InvalidVpc.Range'],
    ['10.0.0.1/16', 'InvalidParameterValue'],
    ['10.0.0/16', 'InvalidParameterValue'],
    ['banana', 'InvalidParameterValue'],
    ['', 'MissingParameter'],
  ])('refuses %s with %s and writes nothing', async (cidrBlock, expected) => {
    const f = fakeVpcServices();
    expect(await code(f.vpcService.create({ cidrBlock }))).toBe(expected);
    expect(f.vpcs.list()).toHaveLength(1);
  });

  it('says VpcLimitExceeded when the public pool has no router address left', async () => {
    const f = fakeVpcServices();
    for (let i = 0; i < 4; i++) await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    expect(await code(f.vpcService.create({ cidrBlock: '10.0.0.0/16' }))).toBe('VpcLimitExceeded');
  });

  it('answers a dry run without creating anything', async () => {
    const f = fakeVpcServices();
    expect(await code(f.vpcService.create({ cidrBlock: '10.0.0.0/16', dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(f.vpcs.list()).toHaveLength(1);
  });

  it('undoes the VPC when a hook fails, calling back the hooks that ran', async () => {
    const seen: string[] = [];
    const ok: VpcHooks = {
      created: (v) => Promise.resolve(void seen.push(`created ${v.cidr}`)),
      deleted: (v) => Promise.resolve(void seen.push(`deleted ${v.cidr}`)),
    };
    const bad: VpcHooks = { created: () => Promise.reject(new Error('socket dir gone')) };
    const f = fakeVpcServices({ hooks: [ok, bad] });
    expect(await code(f.vpcService.create({ cidrBlock: '10.1.0.0/16' }))).toBe(
      'ServiceUnavailable',
    );
    expect(seen).toEqual(['created 10.1.0.0/16', 'deleted 10.1.0.0/16']);
    expect(f.vpcs.list()).toEqual([DEFAULT_VPC]);
    expect(f.groups.list().map((g) => g.vpcId)).toEqual([DEFAULT_VPC.id]);
  });

  it('refuses to delete a VPC with subnets, instances or its own groups (DependencyViolation)', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const subnet = f.subnetService.create({ vpcId: vpc.id, cidrBlock: '10.0.1.0/24' });
    expect(await code(f.vpcService.delete(vpc.id))).toBe('DependencyViolation');
    await expect(f.vpcService.delete(vpc.id)).rejects.toThrow(subnet.id);
    await f.subnetService.delete(subnet.id);
    f.groups.put({
      id: 'sg-0000000000000000a',
      vpcId: vpc.id,
      name: 'web',
      description: 'web',
      isDefault: false,
      rules: [],
      tags: [],
    });
    await expect(f.vpcService.delete(vpc.id)).rejects.toThrow('sg-0000000000000000a');
    f.groups.delete('sg-0000000000000000a');
    await f.vpcService.delete(vpc.id);
    expect(f.vpcs.get(vpc.id)).toBeUndefined();
    expect(f.groups.get(defaultGroupId(vpc.id))).toBeUndefined();
    expect(f.plumbing.calls).toEqual([`removeSubnet ${subnet.id}`, `removeVpc ${vpc.id}`]);
  });

  it('names what else holds the VPC through the hooks (gateways, route tables)', async () => {
    const f = fakeVpcServices({ hooks: [{ dependants: () => ['internet gateway igw-1'] }] });
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    await expect(f.vpcService.delete(vpc.id)).rejects.toThrow('internet gateway igw-1');
  });

  it('keeps the VPC when its host objects cannot be removed, so a retry finishes', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    f.plumbing.fail = new Error('ip netns del: device busy');
    expect(await code(f.vpcService.delete(vpc.id))).toBe('ServiceUnavailable');
    expect(f.vpcs.get(vpc.id)).toEqual(vpc);
    expect(f.groups.get(defaultGroupId(vpc.id))).toBeDefined();
    f.plumbing.fail = undefined;
    await f.vpcService.delete(vpc.id);
    expect(f.vpcs.get(vpc.id)).toBeUndefined();
  });

  it('keeps the default VPC (OperationNotPermitted); unknown and malformed ids get EC2 codes', async () => {
    const f = fakeVpcServices();
    expect(await code(f.vpcService.delete(DEFAULT_VPC.id))).toBe('OperationNotPermitted');
    expect(await code(f.vpcService.delete('vpc-0123456789abcdef0'))).toBe('InvalidVpcID.NotFound');
    expect(await code(f.vpcService.delete('vpc-nope'))).toBe('InvalidVpcID.Malformed');
  });

  it('modifies and describes the DNS attributes, one per call, re-rendering the VPC', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    expect(f.vpcService.describeAttribute(vpc.id, 'enableDnsHostnames').value).toBe(false);
    await f.vpcService.modifyAttribute(vpc.id, { enableDnsHostnames: true });
    expect(f.vpcService.describeAttribute(vpc.id, 'enableDnsHostnames').value).toBe(true);
    expect(f.refreshed).toEqual([vpc.id]);
    expect(
      await code(
        f.vpcService.modifyAttribute(vpc.id, {
          enableDnsHostnames: true,
          enableDnsSupport: true,
        }),
      ),
    ).toBe('InvalidParameterCombination');
    expect(await code(f.vpcService.modifyAttribute(vpc.id, {}))).toBe('MissingParameter');
    // Hostnames need DNS support.
    expect(await code(f.vpcService.modifyAttribute(vpc.id, { enableDnsSupport: false }))).toBe(
      'InvalidParameterValue',
    );
    expect(await code(() => f.vpcService.describeAttribute(vpc.id, 'tenancy'))).toBe(
      'InvalidParameterValue',
    );
    // The default VPC has both on, as in EC2.
    expect(f.vpcService.describeAttribute(DEFAULT_VPC.id, 'enableDnsHostnames').value).toBe(true);
  });
});

describe('SubnetService', () => {
  it('creates a subnet inside its VPC in the host zone, without public IPs on launch', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const s = f.subnetService.create({ vpcId: vpc.id, cidrBlock: '10.0.1.0/24' });
    expect(s).toMatchObject({
      vpcId: vpc.id,
      cidr: '10.0.1.0/24',
      availabilityZone: 'kumo-local-1a',
      mapPublicIpOnLaunch: false,
      isDefault: false,
    });
    expect(f.subnetService.find([s.id])[0]?.availableIpAddressCount).toBe(251);
  });

  it.each([
    ['10.1.0.0/24', 'InvalidSubnet.Range'],
    ['10.0.0.0/15', 'InvalidSubnet.Range'],
    ['10.0.0.0/29', 'InvalidSubnet.Range'],
    ['10.0.1.128/25', 'InvalidSubnet.Conflict'],
    ['10.0.0.0/16', 'InvalidSubnet.Conflict'],
    ['10.0.1.1/24', 'InvalidParameterValue'],
  ])('refuses %s with %s', async (cidrBlock, expected) => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    f.subnetService.create({ vpcId: vpc.id, cidrBlock: '10.0.1.0/24' });
    expect(await code(() => f.subnetService.create({ vpcId: vpc.id, cidrBlock }))).toBe(expected);
    expect(f.subnets.list()).toHaveLength(2);
  });

  it('allows the same CIDR in another VPC; refuses another zone and unknown VPCs', async () => {
    const f = fakeVpcServices();
    const a = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const b = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    f.subnetService.create({ vpcId: a.id, cidrBlock: '10.0.1.0/24' });
    f.subnetService.create({ vpcId: b.id, cidrBlock: '10.0.1.0/24' });
    expect(
      await code(() =>
        f.subnetService.create({ vpcId: a.id, cidrBlock: '10.0.2.0/24', availabilityZone: 'x-1b' }),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await code(() =>
        f.subnetService.create({ vpcId: 'vpc-0123456789abcdef0', cidrBlock: '10.0.2.0/24' }),
      ),
    ).toBe('InvalidVpcID.NotFound');
  });

  it('counts EC2-style free addresses: size less five reserved less those in use', () => {
    const f = fakeVpcServices();
    f.interfaces.put({
      id: 'eni-1',
      instanceId: 'i-1',
      vpcId: DEFAULT_VPC.id,
      subnetId: DEFAULT_SUBNET.id,
      privateIp: '172.31.0.4',
      mac: '52:54:00:00:00:01',
    });
    expect(f.subnetService.find([DEFAULT_SUBNET.id])[0]?.availableIpAddressCount).toBe(
      4096 - 5 - 1,
    );
  });

  it('refuses to delete a subnet with instances, and the default subnet', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const s = f.subnetService.create({ vpcId: vpc.id, cidrBlock: '10.0.1.0/24' });
    f.interfaces.put({
      id: 'eni-1',
      instanceId: 'i-0000000000000000a',
      vpcId: vpc.id,
      subnetId: s.id,
      privateIp: '10.0.1.4',
      mac: '52:54:00:00:00:01',
    });
    expect(await code(f.subnetService.delete(s.id))).toBe('DependencyViolation');
    await expect(f.subnetService.delete(s.id)).rejects.toThrow('i-0000000000000000a');
    expect(await code(f.subnetService.delete(DEFAULT_SUBNET.id))).toBe('OperationNotPermitted');
    expect(f.plumbing.calls).toEqual([]);
  });

  it('keeps the subnet when its bridge cannot be removed; a dry run removes nothing', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const s = f.subnetService.create({ vpcId: vpc.id, cidrBlock: '10.0.1.0/24' });
    expect(await code(f.subnetService.delete(s.id, true))).toBe('DryRunOperation');
    f.plumbing.fail = new Error('dnsmasq will not die');
    expect(await code(f.subnetService.delete(s.id))).toBe('ServiceUnavailable');
    expect(f.subnets.get(s.id)).toEqual(s);
  });

  it('sets MapPublicIpOnLaunch', async () => {
    const f = fakeVpcServices();
    const vpc = await f.vpcService.create({ cidrBlock: '10.0.0.0/16' });
    const s = f.subnetService.create({ vpcId: vpc.id, cidrBlock: '10.0.1.0/24' });
    f.subnetService.modifyAttribute(s.id, { mapPublicIpOnLaunch: true });
    expect(f.subnets.get(s.id)?.mapPublicIpOnLaunch).toBe(true);
    expect(await code(() => f.subnetService.modifyAttribute(s.id, {}))).toBe('MissingParameter');
  });
});
