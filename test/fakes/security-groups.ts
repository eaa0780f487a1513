import { silentLogger } from '../../src/core/logger.js';
import type { NetworkInterface } from '../../src/network/network-interface.js';
import type {
  NetworkInterfaceRepository,
  SecurityGroupRepository,
  VpcRepository,
} from '../../src/network/ports.js';
import type { SecurityGroup } from '../../src/network/security-group.js';
import { SecurityGroupService } from '../../src/network/security-groups.js';
import type { Vpc } from '../../src/network/vpc.js';

export class FakeSecurityGroupRepository implements SecurityGroupRepository {
  readonly rows = new Map<string, SecurityGroup>();
  list(): SecurityGroup[] {
    return [...this.rows.values()];
  }
  get(id: string): SecurityGroup | undefined {
    return this.rows.get(id);
  }
  put(g: SecurityGroup): void {
    this.rows.set(g.id, g);
  }
  delete(id: string): void {
    this.rows.delete(id);
  }
}

export class FakeVpcRepository implements VpcRepository {
  readonly rows = new Map<string, Vpc>();
  list(): Vpc[] {
    return [...this.rows.values()];
  }
  get(id: string): Vpc | undefined {
    return this.rows.get(id);
  }
  put(v: Vpc): void {
    this.rows.set(v.id, v);
  }
  delete(id: string): void {
    this.rows.delete(id);
  }
}

/** Interfaces kept in a map by instance id (FakeNetwork's, or a test's own). */
export class MapInterfaceRepository implements NetworkInterfaceRepository {
  constructor(readonly byId: Map<string, NetworkInterface> = new Map()) {}
  list(): NetworkInterface[] {
    return [...this.byId.values()];
  }
  byInstance(instanceId: string): NetworkInterface | undefined {
    return this.byId.get(instanceId);
  }
  put(eni: NetworkInterface): void {
    this.byId.set(eni.instanceId, eni);
  }
  delete(id: string): void {
    for (const [k, v] of this.byId) if (v.id === id) this.byId.delete(k);
  }
}

export const DEFAULT_VPC: Vpc = {
  id: 'vpc-00000000000000001',
  cidr: '172.31.0.0/16',
  isDefault: true,
  routerPublicIp: '100.80.0.2',
};

/** A SecurityGroupService over in-memory records; `applied` lists the VPCs it re-applied. */
export function fakeSecurityGroups(interfaces = new MapInterfaceRepository()) {
  const groups = new FakeSecurityGroupRepository();
  const vpcs = new FakeVpcRepository();
  vpcs.put(DEFAULT_VPC);
  vpcs.put({ ...DEFAULT_VPC, id: 'vpc-00000000000000002', isDefault: false, cidr: '10.0.0.0/16' });
  const applied: string[] = [];
  let failApply: Error | undefined;
  const service = new SecurityGroupService({
    groups,
    vpcs,
    interfaces,
    applyVpc: (vpcId) => {
      applied.push(vpcId);
      if (failApply) return Promise.reject(failApply);
      return Promise.resolve();
    },
    logger: silentLogger,
  });
  service.ensureDefaultGroups();
  return {
    service,
    groups,
    vpcs,
    interfaces,
    applied,
    failApplyWith: (e: Error | undefined) => {
      failApply = e;
    },
  };
}
