import type { CommandRunner } from '../command-runner.js';
import type { IpLinks } from './ip-link.js';
import {
  parseRoutes,
  parseRules,
  planPolicyRouting,
  type PolicyRoutingSpec,
} from './policy-routing.js';

/**
 * A VPC router's policy routing, applied as policy-routing.ts plans it. The spec last applied in
 * full in each namespace is kept: applying it again while every link it routes through is still
 * known to be there changes nothing, so it is skipped (most launches do not change a VPC's
 * routing). The caller serialises calls per namespace and checks that the namespace exists.
 */
export class VpcPolicyRouting {
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly host: IpLinks,
  ) {}

  /**
   * Measures kumo's rules and tables and the links in the namespace (three reads), then one
   * `ip -batch` that makes them the spec. Each command has the runner's deadline; `ip -batch`
   * stops at the first failure and the caller fails closed, and the next apply measures again,
   * so a half-applied batch is finished or undone by the retry. Deleting the namespace takes all
   * of it. `knownLink` says whether this process made a link and has not seen it fail since.
   */
  async apply(spec: PolicyRoutingSpec, knownLink: (dev: string) => boolean): Promise<void> {
    const netns = spec.netns;
    const key = JSON.stringify(spec);
    const devs = [...new Set(spec.routes.flatMap((r) => (r.dev ? [r.dev] : [])))];
    if (this.applied.get(netns) === key && devs.every(knownLink)) return;
    this.applied.delete(netns);
    const [rules, routes, links] = await Promise.all([
      this.runner.run('ip', ['-4', '-j', 'rule', 'show'], { netns }),
      this.runner.run('ip', ['-4', '-j', 'route', 'show', 'table', 'all'], { netns }),
      this.host.in(netns).list(),
    ]);
    const linkNames = new Set(links.map((l) => l.name));
    const commands = planPolicyRouting(spec, {
      rules: parseRules(rules.stdout),
      routes: parseRoutes(routes.stdout),
      links: linkNames,
    });
    await this.host.in(netns).batch(commands);
    // A route through a missing link went in as a blackhole: the same spec must be applied
    // again once the link is there, so only a complete apply is remembered.
    if (devs.every((d) => linkNames.has(d))) this.applied.set(netns, key);
  }

  forget(netns: string): void {
    this.applied.delete(netns);
  }
}
