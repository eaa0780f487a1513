import { silentLogger } from '../../src/core/logger.js';
import type { SubnetRepository, VpcPlumbing } from '../../src/network/ports.js';
import { SubnetService } from '../../src/network/subnets.js';
import type { VpcDeps, VpcHooks } from '../../src/network/vpc-deps.js';
import type { Subnet } from '../../src/network/vpc.js';
import { VpcService } from '../../src/network/vpcs.js';
import {
  DEFAULT_VPC,
  FakeSecurityGroupRepository,
  FakeVpcRepository,
  MapInterfaceRepository,
} from './security-groups.js';
import { ensureDefaultGroup } from '../../src/network/security-group-lookup.js';

export class FakeSubnetRepository implements SubnetRepository {
  readonly rows = new Map<string, Subnet>();
  list(): Subnet[] {
    return [...this.rows.values()];
  }
  get(id: string): Subnet | undefined {
    return this.rows.get(id);
  }
  put(s: Subnet): void {
    this.rows.set(s.id, s);
  }
  delete(id: string): void {
    this.rows.delete(id);
  }
}

export const DEFAULT_SUBNET: Subnet = {
  id: 'subnet-00000000000000001',
  vpcId: DEFAULT_VPC.id,
  cidr: '172.31.0.0/20',
  isDefault: true,
};

/** Plumbing that records "removeVpc vpc-…" / "removeSubnet subnet-…" and can be made to fail. */
export class RecordingPlumbing implements VpcPlumbing {
  readonly calls: string[] = [];
  fail: Error | undefined;
  private rec(what: string): Promise<void> {
    this.calls.push(what);
    return this.fail ? Promise.reject(this.fail) : Promise.resolve();
  }
  ensureVpc = (vpc: { id: string }) => this.rec(`ensureVpc ${vpc.id}`);
  removeVpc = (vpc: { id: string }) => this.rec(`removeVpc ${vpc.id}`);
  ensureSubnet = (_vpc: unknown, s: { id: string }) => this.rec(`ensureSubnet ${s.id}`);
  removeSubnet = (_vpc: unknown, s: { id: string }) => this.rec(`removeSubnet ${s.id}`);
  ensurePorts = () => Promise.resolve(new Map());
  removePorts = () => Promise.resolve();
  applyRules = () => Promise.resolve();
  applyRoutes = () => Promise.resolve();
  isolate = () => Promise.resolve();
  metadataSocket = (vpc: { id: string }) => `/run/kumo/metadata/${vpc.id}.sock`;
}

/** VpcService and SubnetService over in-memory records, with the default VPC and subnet. */
export function fakeVpcServices(
  options: {
    interfaces?: MapInterfaceRepository;
    publicCidr?: string;
    hooks?: VpcHooks[];
  } = {},
) {
  const vpcs = new FakeVpcRepository();
  const subnets = new FakeSubnetRepository();
  const groups = new FakeSecurityGroupRepository();
  const interfaces = options.interfaces ?? new MapInterfaceRepository();
  const plumbing = new RecordingPlumbing();
  vpcs.put(DEFAULT_VPC);
  subnets.put(DEFAULT_SUBNET);
  ensureDefaultGroup(groups, DEFAULT_VPC);
  let next = 3;
  const refreshed: string[] = [];
  const deps: VpcDeps = {
    vpcs,
    subnets,
    interfaces,
    securityGroups: groups,
    plumbing,
    logger: silentLogger,
    routerIp: () => {
      if (next > 6) throw new Error('pool exhausted');
      return `100.80.0.${next++}`;
    },
    refreshVpc: (id) => {
      refreshed.push(id);
      return Promise.resolve();
    },
    hooks: options.hooks,
    settings: {
      availabilityZones: ['kumo-local-1a'],
      publicCidr: options.publicCidr ?? '100.80.0.0/24',
    },
  };
  return {
    vpcService: new VpcService(deps),
    subnetService: new SubnetService(deps),
    vpcs,
    subnets,
    groups,
    interfaces,
    plumbing,
    refreshed,
  };
}
