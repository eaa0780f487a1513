import { describe, expect, it } from 'vitest';
import { isKumoError } from '../../../src/core/errors.js';
import type { IpPermissionInput } from '../../../src/network/ip-permissions.js';
import type { NetworkInterface } from '../../../src/network/network-interface.js';
import {
  DEFAULT_VPC,
  fakeSecurityGroups,
  MapInterfaceRepository,
} from '../../fakes/security-groups.js';

const DEF_GROUP = 'sg-00000000000000001';
const tcp = (port: number, cidr = '0.0.0.0/0'): IpPermissionInput => ({
  ipProtocol: 'tcp',
  fromPort: port,
  toPort: port,
  ipRanges: [{ cidrIp: cidr }],
  groupPairs: [],
});

/** The EC2 code of what fn throws (sync or async). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isKumoError(e)) return e.code;
    throw e;
  }
  throw new Error('expected an error');
}

function eni(instanceId: string, groupIds?: string[]): NetworkInterface {
  return {
    id: `eni-${instanceId.slice(2)}`,
    instanceId,
    vpcId: DEFAULT_VPC.id,
    subnetId: 'subnet-00000000000000001',
    privateIp: '172.31.0.4',
    mac: '52:54:00:00:00:04',
    groupIds,
  };
}

describe('security groups (domain)', () => {
  it("gives each VPC a default group: inbound from its own members, all outbound, id from the VPC's", () => {
    const { service } = fakeSecurityGroups();
    const def = service.find([DEF_GROUP], [])[0]!;
    expect(def).toMatchObject({ name: 'default', isDefault: true, vpcId: DEFAULT_VPC.id });
    expect(def.rules.map((r) => [r.egress, r.protocol, r.groupId ?? r.cidrIpv4])).toEqual([
      [false, '-1', DEF_GROUP],
      [true, '-1', '0.0.0.0/0'],
    ]);
  });

  it('creates a group with no inbound and all outbound, refusing duplicates and reserved names', async () => {
    const { service } = fakeSecurityGroups();
    const g = service.create({ groupName: 'web', description: 'web servers' });
    expect(g.id).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(g.rules.map((r) => [r.egress, r.cidrIpv4])).toEqual([[true, '0.0.0.0/0']]);
    expect(await codeOf(() => service.create({ groupName: 'web', description: 'x' }))).toBe(
      'InvalidGroup.Duplicate',
    );
    // The same name in another VPC is another group.
    service.create({ groupName: 'web', description: 'x', vpcId: 'vpc-00000000000000002' });
    expect(await codeOf(() => service.create({ groupName: 'default', description: 'x' }))).toBe(
      'InvalidGroup.Reserved',
    );
    expect(await codeOf(() => service.create({ groupName: 'sg-x', description: 'x' }))).toBe(
      'InvalidParameterValue',
    );
    expect(await codeOf(() => service.create({ groupName: 'w', description: '' }))).toBe(
      'MissingParameter',
    );
    expect(
      await codeOf(() =>
        service.create({ groupName: 'w', description: 'x', vpcId: 'vpc-12345678901234567' }),
      ),
    ).toBe('InvalidVpcID.NotFound');
    expect(
      await codeOf(() => service.create({ groupName: 'w', description: 'x', dryRun: true })),
    ).toBe('DryRunOperation');
    expect(service.find([], []).filter((x) => x.name === 'w')).toEqual([]);
  });

  it('authorizes rules once, applies the VPC, and refuses a duplicate without changing anything', async () => {
    const { service, applied } = fakeSecurityGroups();
    const g = service.create({ groupName: 'web', description: 'web' });
    const added = await service.authorize({
      groupId: g.id,
      egress: false,
      permissions: [tcp(22), tcp(80)],
    });
    expect(added.map((r) => [r.protocol, r.fromPort, r.toPort, r.cidrIpv4])).toEqual([
      ['tcp', 22, 22, '0.0.0.0/0'],
      ['tcp', 80, 80, '0.0.0.0/0'],
    ]);
    for (const r of added) expect(r.id).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(applied).toEqual([DEFAULT_VPC.id]);
    const before = service.find([g.id], [])[0];
    expect(
      await codeOf(() =>
        service.authorize({ groupId: g.id, egress: false, permissions: [tcp(443), tcp(22)] }),
      ),
    ).toBe('InvalidPermission.Duplicate');
    // Duplicates inside one request too.
    expect(
      await codeOf(() =>
        service.authorize({ groupId: g.id, egress: false, permissions: [tcp(8080), tcp(8080)] }),
      ),
    ).toBe('InvalidPermission.Duplicate');
    expect(service.find([g.id], [])[0]).toEqual(before);
  });

  it('refuses every bad permission with its EC2 code and leaves the rules exactly as they were', async () => {
    const { service } = fakeSecurityGroups();
    const g = service.create({ groupName: 'web', description: 'web' });
    const other = service.create({
      groupName: 'far',
      description: 'x',
      vpcId: 'vpc-00000000000000002',
    });
    const before = service.find([g.id], [])[0];
    const bad: [IpPermissionInput, string][] = [
      [{ ...tcp(22), ipProtocol: 'tcpx' }, 'InvalidParameterValue'],
      [{ ...tcp(22), fromPort: 70000, toPort: 70000 }, 'InvalidParameterValue'],
      [{ ...tcp(22), fromPort: 30, toPort: 20 }, 'InvalidParameterValue'],
      [{ ...tcp(22), fromPort: undefined }, 'InvalidParameterValue'],
      [tcp(22, '10.0.0/8'), 'InvalidParameterValue'],
      [tcp(22, '10.0.0.5/8'), 'InvalidParameterValue'],
      [tcp(22, '10.0.0.0/33'), 'InvalidParameterValue'],
      [
        {
          ipProtocol: 'icmp',
          fromPort: -1,
          toPort: 3,
          ipRanges: [{ cidrIp: '0.0.0.0/0' }],
          groupPairs: [],
        },
        'InvalidParameterValue',
      ],
      [{ ...tcp(22), ipRanges: [] }, 'MissingParameter'],
      [
        { ...tcp(22), ipRanges: [], groupPairs: [{ groupId: 'sg-12345678901234567' }] },
        'InvalidGroup.NotFound',
      ],
      [
        { ...tcp(22), ipRanges: [], groupPairs: [{ groupId: 'sg-nope' }] },
        'InvalidGroupId.Malformed',
      ],
      [{ ...tcp(22), ipRanges: [], groupPairs: [{ groupId: other.id }] }, 'InvalidGroup.NotFound'],
    ];
    for (const [perm, code] of bad) {
      // A good permission first: the bad one after it must keep it out too.
      expect(
        await codeOf(() =>
          service.authorize({ groupId: g.id, egress: false, permissions: [tcp(443), perm] }),
        ),
        JSON.stringify(perm),
      ).toBe(code);
    }
    expect(
      await codeOf(() =>
        service.authorize({
          groupId: 'sg-12345678901234567',
          egress: false,
          permissions: [tcp(1)],
        }),
      ),
    ).toBe('InvalidGroup.NotFound');
    expect(service.find([g.id], [])[0]).toEqual(before);
  });

  it('normalizes protocols and ports as EC2 stores them', async () => {
    const { service } = fakeSecurityGroups();
    const g = service.create({ groupName: 'web', description: 'web' });
    const rules = await service.authorize({
      groupId: g.id,
      egress: false,
      permissions: [
        {
          ipProtocol: '6',
          fromPort: 1000,
          toPort: 2000,
          ipRanges: [{ cidrIp: '10.0.0.0/8' }],
          groupPairs: [],
        },
        {
          ipProtocol: 'ICMP',
          fromPort: 8,
          toPort: -1,
          ipRanges: [{ cidrIp: '10.0.0.0/8' }],
          groupPairs: [],
        },
        {
          ipProtocol: 'all',
          fromPort: 5,
          toPort: 9,
          ipRanges: [],
          groupPairs: [{ groupName: 'default' }],
        },
        { ipProtocol: '50', ipRanges: [{ cidrIp: '10.1.0.0/16' }], groupPairs: [] },
      ],
    });
    expect(rules.map((r) => [r.protocol, r.fromPort, r.toPort, r.cidrIpv4 ?? r.groupId])).toEqual([
      ['tcp', 1000, 2000, '10.0.0.0/8'],
      ['icmp', 8, -1, '10.0.0.0/8'],
      ['-1', -1, -1, DEF_GROUP],
      ['50', -1, -1, '10.1.0.0/16'],
    ]);
  });

  it('stops at 60 rules per direction', async () => {
    const { service } = fakeSecurityGroups();
    const g = service.create({ groupName: 'web', description: 'web' });
    await service.authorize({
      groupId: g.id,
      egress: false,
      permissions: Array.from({ length: 60 }, (_, i) => tcp(i + 1)),
    });
    expect(
      await codeOf(() =>
        service.authorize({ groupId: g.id, egress: false, permissions: [tcp(100)] }),
      ),
    ).toBe('RulesPerSecurityGroupLimitExceeded');
    // Outbound counts separately (it has 1).
    await service.authorize({
      groupId: g.id,
      egress: true,
      permissions: Array.from({ length: 59 }, (_, i) => tcp(i + 1)),
    });
    expect(
      await codeOf(() =>
        service.authorize({ groupId: g.id, egress: true, permissions: [tcp(100)] }),
      ),
    ).toBe('RulesPerSecurityGroupLimitExceeded');
  });

  it('revokes by permission or by rule id, all or nothing', async () => {
    const { service } = fakeSecurityGroups();
    const g = service.create({ groupName: 'web', description: 'web' });
    const [ssh, http] = await service.authorize({
      groupId: g.id,
      egress: false,
      permissions: [tcp(22), tcp(80)],
    });
    expect(
      await codeOf(() =>
        service.revoke({ groupId: g.id, egress: false, permissions: [tcp(22), tcp(81)] }),
      ),
    ).toBe('InvalidPermission.NotFound');
    expect(
      await codeOf(() =>
        service.revoke({
          groupId: g.id,
          egress: false,
          permissions: [],
          ruleIds: [http!.id, 'sgr-00000000000000000'],
        }),
      ),
    ).toBe('InvalidSecurityGroupRuleId.NotFound');
    // An ingress rule is not an egress rule.
    expect(
      await codeOf(() =>
        service.revoke({ groupId: g.id, egress: true, permissions: [], ruleIds: [http!.id] }),
      ),
    ).toBe('InvalidSecurityGroupRuleId.NotFound');
    expect(service.find([g.id], [])[0]!.rules).toHaveLength(3);
    await service.revoke({ groupId: g.id, egress: false, permissions: [tcp(22)] });
    await service.revoke({ groupId: g.id, egress: false, permissions: [], ruleIds: [http!.id] });
    expect(service.find([g.id], [])[0]!.rules.map((r) => r.id)).not.toContain(ssh!.id);
    expect(service.find([g.id], [])[0]!.rules.filter((r) => !r.egress)).toEqual([]);
  });

  it('deletes only unused, unreferenced, non-default groups', async () => {
    const interfaces = new MapInterfaceRepository();
    const { service } = fakeSecurityGroups(interfaces);
    const used = service.create({ groupName: 'used', description: 'x' });
    const referenced = service.create({ groupName: 'ref', description: 'x' });
    const free = service.create({ groupName: 'free', description: 'x' });
    interfaces.put(eni('i-00000000000000001', [used.id]));
    await service.authorize({
      groupId: used.id,
      egress: false,
      permissions: [{ ipProtocol: '-1', ipRanges: [], groupPairs: [{ groupId: referenced.id }] }],
    });
    expect(await codeOf(() => service.delete({ groupId: DEF_GROUP }))).toBe('CannotDelete');
    expect(await codeOf(() => service.delete({ groupId: used.id }))).toBe('DependencyViolation');
    expect(await codeOf(() => service.delete({ groupId: referenced.id }))).toBe(
      'DependencyViolation',
    );
    expect(await codeOf(() => service.delete({ groupId: free.id, dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(await service.delete({ groupName: 'free' })).toBe(free.id);
    expect(await codeOf(() => service.find([free.id], []))).toBe('InvalidGroup.NotFound');
  });

  it("changes an interface's groups (1 to 5, of its VPC) and its source/dest check", async () => {
    const interfaces = new MapInterfaceRepository();
    const { service, applied } = fakeSecurityGroups(interfaces);
    interfaces.put(eni('i-00000000000000001'));
    // Records from before security groups read as the default group.
    expect(service.interfaceSecurity('i-00000000000000001')).toEqual({
      groups: [{ id: DEF_GROUP, name: 'default' }],
      sourceDestCheck: true,
    });
    const web = service.create({ groupName: 'web', description: 'x' });
    const far = service.create({
      groupName: 'far',
      description: 'x',
      vpcId: 'vpc-00000000000000002',
    });
    const six = Array.from(
      { length: 6 },
      (_, i) => service.create({ groupName: `g${i}`, description: 'x' }).id,
    );
    expect(await codeOf(() => service.setInterfaceGroups('i-00000000000000001', six))).toBe(
      'SecurityGroupsPerInterfaceLimitExceeded',
    );
    expect(await codeOf(() => service.setInterfaceGroups('i-00000000000000001', [far.id]))).toBe(
      'InvalidParameter',
    );
    expect(await codeOf(() => service.setInterfaceGroups('i-00000000000000001', []))).toBe(
      'MissingParameter',
    );
    await service.setInterfaceGroups('i-00000000000000001', [web.id, DEF_GROUP]);
    await service.setSourceDestCheck('i-00000000000000001', false);
    expect(service.interfaceSecurity('i-00000000000000001')).toEqual({
      groups: [
        { id: web.id, name: 'web' },
        { id: DEF_GROUP, name: 'default' },
      ],
      sourceDestCheck: false,
    });
    expect(applied).toEqual([DEFAULT_VPC.id, DEFAULT_VPC.id]);
  });
});
