import { CoalescingRunner } from '../core/coalescing-runner.js';
import { KumoError } from '../core/errors.js';
import type { NetworkDeps } from './network-deps.js';
import type { PublicAddressPool } from './public-address-pool.js';
import { planVpcRouting, type RouteStateContext } from './route-plan.js';
import { hasInternetRoute } from './routing.js';
import { defaultGroupId } from './security-group-lookup.js';
import type { Vpc } from './vpc.js';

/**
 * A VPC's filter and routing, rendered from the state and applied through VpcPlumbing. Runs are
 * made one at a time per VPC, each from the state of the moment it starts; calls that arrive
 * during a run share the next one (five concurrent launches into one VPC cost two runs, not five
 * one after the other). A run's items are the instances being taken down (their routes are
 * blackholes whatever compute's record says yet).
 */
export class VpcRuleRuns {
  private readonly runs = new CoalescingRunner<string, void>((vpcId, down) =>
    this.renderAndApply(vpcId, new Set(down)),
  );
  /** VPCs whose last apply failed: isolated until an apply succeeds (retried by sweeps). */
  private readonly failed = new Set<string>();

  constructor(
    private readonly deps: NetworkDeps,
    private readonly publicAddresses: PublicAddressPool,
  ) {}

  /** The VPC's rules and routing, from the state of the moment the run starts. */
  apply(vpc: Vpc, down: ReadonlySet<string> = new Set()): Promise<void> {
    return this.runs.run(vpc.id, [...down]);
  }

  /** The VPCs whose last apply failed. */
  failedVpcIds(): string[] {
    return [...this.failed];
  }

  /** What routes' states depend on, read now; `down`: instances being taken down. */
  routeContext(down: ReadonlySet<string> = new Set()): RouteStateContext {
    const interfaces = new Map(this.deps.interfaces.list().map((e) => [e.instanceId, e]));
    return {
      gateways: this.deps.routing.gateways.list(),
      interfaceOf: (id) => interfaces.get(id),
      instanceUp: (id) => {
        if (down.has(id)) return false;
        const state = this.deps.instanceState?.(id) ?? 'running';
        return state === 'pending' || state === 'running';
      },
    };
  }

  /**
   * Renders from the state of this moment and applies in one transaction, then makes the router's
   * routing match the route tables. Fails closed: if either apply fails, every interface of the
   * VPC is isolated (all its traffic dropped) until an apply succeeds, and the callers get the
   * error.
   */
  private async renderAndApply(vpcId: string, down: ReadonlySet<string>): Promise<void> {
    // A VPC deleted while this run waited has no namespace left to apply to.
    const vpc = this.deps.vpcs.get(vpcId);
    if (!vpc) return;
    const { gateways, routeTables } = this.deps.routing;
    const [tables, igws] = [routeTables.list(), gateways.list()];
    const elastic = this.publicAddresses.elasticByInterface();
    const interfaces = this.deps.interfaces
      .list()
      .filter((e) => e.vpcId === vpc.id)
      .map((e) => (e.groupIds ? e : { ...e, groupIds: [defaultGroupId(vpc.id)] }))
      // The address NAT maps: the elastic IP replaces the pool one, and neither is mapped
      // unless the subnet's route table reaches an internet gateway attached to the VPC.
      .map((e) => ({
        ...e,
        publicIp: hasInternetRoute(tables, igws, vpc.id, e.subnetId)
          ? (elastic.get(e.id) ?? e.publicIp)
          : undefined,
      }));
    const groups = this.deps.securityGroups.list().filter((g) => g.vpcId === vpc.id);
    // The route tables as the router's kernel routing (policy routing per subnet).
    const routing = planVpcRouting(vpc, this.deps.subnets.list(), tables, this.routeContext(down));
    try {
      await this.deps.plumbing.applyRules(vpc, interfaces, groups);
      // After the filter, so a new next hop is never used before its rules exist.
      await this.deps.plumbing.applyRoutes(vpc, routing);
      this.failed.delete(vpc.id);
    } catch (error) {
      this.failed.add(vpc.id);
      this.deps.logger.error('applying the VPC rules failed; isolating its instances', {
        vpcId: vpc.id,
        error: String(error),
      });
      await this.deps.plumbing.isolate(vpc, interfaces).catch((e: unknown) =>
        this.deps.logger.error('isolating the instances failed too', {
          vpcId: vpc.id,
          error: String(e),
        }),
      );
      throw new KumoError(
        'Unavailable',
        'ServiceUnavailable',
        `The security group rules or routes of ${vpc.id} could not be applied; its instances' traffic is dropped until they are (the kumod log has the cause). Retry the call.`,
        { cause: error },
      );
    }
  }
}
