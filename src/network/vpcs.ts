import { formatCidr, parseCidr } from '../core/cidr.js';
import {
  dependencyViolation,
  dryRunOperation,
  invalidParameter,
  KumoError,
  limitExceeded,
  listed,
  quoted,
  unavailable,
} from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Tag } from '../core/tags.js';
import { defaultGroupId, ensureDefaultGroup } from './security-group-lookup.js';
import type { VpcDeps, VpcHooks } from './vpc-deps.js';
import { overlaps, parseBlock, vpcById } from './vpc-lookup.js';
import { dnsHostnames, dnsSupport, type Vpc } from './vpc.js';

/** Blocks a VPC may not use on a kumo host: they mean something else to the guests or the host. */
const FORBIDDEN = [
  { cidr: '0.0.0.0/8', why: '"this network"' },
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.0.0/16', why: 'link-local (the metadata service lives there)' },
  { cidr: '224.0.0.0/3', why: 'multicast and reserved' },
].map((f) => ({ ...f, block: parseCidr(f.cidr) }));

export interface CreateVpcInput {
  readonly cidrBlock: string;
  readonly tags?: readonly Tag[] | undefined;
  readonly dryRun?: boolean | undefined;
}

export type VpcAttribute = 'enableDnsSupport' | 'enableDnsHostnames';

/**
 * EC2's VPC calls. A VPC is rows first: its host objects (namespace, uplink, subnets' bridges and
 * DHCP/DNS) are made on the first launch into it and re-made by the reconciler, so creating one
 * touches nothing on the host but its metadata socket (docs/decisions/0022).
 */
export class VpcService {
  constructor(private readonly d: VpcDeps) {}

  async create(input: CreateVpcInput): Promise<Vpc> {
    const block = parseBlock(input.cidrBlock, 'InvalidVpc.Range', 'VPC');
    for (const f of FORBIDDEN) {
      if (overlaps(block, f.block)) {
        throw new KumoError(
          'InvalidArgument',
          'InvalidVpc.Range',
          `The CIDR ${quoted(input.cidrBlock)} is invalid: it overlaps ${f.cidr} (${f.why}); use a private range such as 10.0.0.0/16`,
        );
      }
    }
    const pool = parseCidr(this.d.settings.publicCidr);
    if (overlaps(block, pool)) {
      throw new KumoError(
        'InvalidArgument',
        'InvalidVpc.Range',
        `The CIDR ${quoted(input.cidrBlock)} overlaps kumod's public address pool ${this.d.settings.publicCidr}; use another range`,
      );
    }
    let routerPublicIp: string;
    try {
      routerPublicIp = this.d.routerIp();
    } catch (e) {
      throw limitExceeded(
        'VpcLimitExceeded',
        `No VPC can be created: each VPC's router takes an address of the public pool, and ${this.d.settings.publicCidr} has none left (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (input.dryRun) throw dryRunOperation();
    const vpc: Vpc = {
      id: newId('vpc'),
      cidr: formatCidr(block),
      isDefault: false,
      routerPublicIp,
      enableDnsSupport: true,
      enableDnsHostnames: false,
      tags: input.tags ?? [],
    };
    this.d.vpcs.put(vpc);
    ensureDefaultGroup(this.d.securityGroups, vpc);
    // Hooks make the rest: the main route table (vpcRoutingHooks), the metadata socket.
    const done: VpcHooks[] = [];
    try {
      for (const h of this.d.hooks ?? []) {
        await h.created?.(vpc);
        done.push(h);
      }
    } catch (e) {
      for (const h of [...done].reverse()) await h.deleted?.(vpc).catch(() => undefined);
      this.forget(vpc);
      throw unavailable(`VPC ${vpc.id} could not be set up; nothing was kept. Retry the call.`, e);
    }
    this.d.logger.info('VPC created', { vpcId: vpc.id, cidr: vpc.cidr });
    return vpc;
  }

  /** The VPCs with these ids (all when none), each id checked. */
  find(ids: readonly string[]): Vpc[] {
    if (ids.length === 0) return this.d.vpcs.list();
    return [...new Set(ids)].map((id) => vpcById(this.d.vpcs, id));
  }

  /**
   * Deletes an empty VPC: its default group, its metadata socket and every host object it has
   * (namespace, uplink veth, proxy). Anything still in it is a DependencyViolation naming what.
   * kumo keeps its default VPC: launches that name no subnet go there (docs/decisions/0022).
   */
  async delete(vpcId: string, dryRun = false): Promise<void> {
    const vpc = vpcById(this.d.vpcs, vpcId);
    if (vpc.isDefault) {
      throw new KumoError(
        'FailedPrecondition',
        'OperationNotPermitted',
        `${vpc.id} is kumo's default VPC, where launches that name no subnet go; it cannot be deleted`,
      );
    }
    const blocking = this.dependants(vpc.id);
    if (blocking.length > 0) {
      throw dependencyViolation(
        `The vpc ${quoted(vpc.id)} has dependencies and cannot be deleted: ${listed(blocking)}. Delete or move them first.`,
      );
    }
    if (dryRun) throw dryRunOperation();
    // Rows go first (synchronously: no launch can pick the VPC any more); if the host cannot be
    // cleaned, they come back, so a retry finds the VPC and finishes the job.
    const group = this.d.securityGroups.get(defaultGroupId(vpc.id));
    this.forget(vpc);
    try {
      await this.d.plumbing.removeVpc(vpc);
      for (const h of this.d.hooks ?? []) await h.deleted?.(vpc);
    } catch (e) {
      this.d.vpcs.put(vpc);
      if (group) this.d.securityGroups.put(group);
      throw unavailable(
        `The host objects of ${vpc.id} could not all be removed; it is kept. Retry the call (the kumod log has the cause).`,
        e,
      );
    }
    this.d.logger.info('VPC deleted', { vpcId: vpc.id });
  }

  describeAttribute(vpcId: string, attribute: string): { vpc: Vpc; value: boolean } {
    const vpc = vpcById(this.d.vpcs, vpcId);
    if (attribute === 'enableDnsSupport') return { vpc, value: dnsSupport(vpc) };
    if (attribute === 'enableDnsHostnames') return { vpc, value: dnsHostnames(vpc) };
    throw invalidParameter(
      `Value (${quoted(attribute)}) for parameter attribute is invalid; use enableDnsSupport or enableDnsHostnames`,
    );
  }

  /** EC2's ModifyVpcAttribute: one attribute per call; DHCP and DNS follow at once. */
  async modifyAttribute(
    vpcId: string,
    change: { enableDnsSupport?: boolean | undefined; enableDnsHostnames?: boolean | undefined },
  ): Promise<void> {
    const vpc = vpcById(this.d.vpcs, vpcId);
    const given = [change.enableDnsSupport, change.enableDnsHostnames].filter(
      (v) => v !== undefined,
    );
    if (given.length !== 1) {
      throw invalidParameter(
        'Pass exactly one of --enable-dns-support / --no-enable-dns-support, --enable-dns-hostnames / --no-enable-dns-hostnames',
        given.length === 0 ? 'MissingParameter' : 'InvalidParameterCombination',
      );
    }
    const next: Vpc = {
      ...vpc,
      enableDnsSupport: change.enableDnsSupport ?? dnsSupport(vpc),
      enableDnsHostnames: change.enableDnsHostnames ?? dnsHostnames(vpc),
    };
    if (next.enableDnsHostnames && !next.enableDnsSupport) {
      throw invalidParameter(
        'DNS hostnames need DNS support: turn on enableDnsSupport first, or turn off enableDnsHostnames',
      );
    }
    this.d.vpcs.put(next);
    await this.d.refreshVpc(vpc.id);
  }

  /** What still holds the VPC, one line each. */
  private dependants(vpcId: string): string[] {
    const subnets = this.d.subnets.list().filter((s) => s.vpcId === vpcId);
    const enis = this.d.interfaces.list().filter((e) => e.vpcId === vpcId);
    const groups = this.d.securityGroups.list().filter((g) => g.vpcId === vpcId && !g.isDefault);
    return [
      ...subnets.map((s) => `subnet ${s.id}`),
      ...enis.map((e) => `instance ${e.instanceId}`),
      ...groups.map((g) => `security group ${g.id}`),
      ...(this.d.hooks ?? []).flatMap((h) => h.dependants?.(vpcId) ?? []),
    ];
  }

  private forget(vpc: Vpc): void {
    this.d.securityGroups.delete(defaultGroupId(vpc.id));
    this.d.vpcs.delete(vpc.id);
  }
}
