import { ipToInt } from '../../core/cidr.js';
import { assertInterfaceName } from './names.js';

/**
 * A VPC router's route tables as Linux policy routing, inside the VPC's namespace (which belongs
 * to kumo entirely). kumo owns rule priorities RULE_PREFS and kernel tables TABLES there: whatever
 * it finds in those ranges and does not want is removed, so a reconcile leaves exactly the state's
 * routing.
 *
 * - pref 10000 `to <VPC CIDR> lookup main`: the local route always wins (EC2); the main table
 *   holds the subnets' connected routes.
 * - pref 10100 `iif <subnet bridge> lookup <table>`: packets from a subnet's instances use its
 *   route table's kernel table.
 * - each kernel table: the route table's routes (longest prefix wins, as in EC2), each one via the
 *   uplink (internet gateway), via an instance's private IP on its bridge, or a blackhole; and a
 *   blackhole 0.0.0.0/0 when the table has no default route, so nothing falls through to the
 *   namespace's main table (EC2: no route, no path).
 */
export const RULE_PREFS = { local: 10000, subnets: 10100, first: 10000, last: 10999 } as const;
export const TABLES = { first: 10001, last: 19999 } as const;

/**
 * The route realm of packets routed to an instance: the low 16 bits of its private IP, unique in
 * a VPC (at most a /16) and never 0 (that would be the VPC's network address). The VPC's filter
 * matches it (`-m realm`) to judge forwarded packets by the next hop's security groups and its
 * source/destination check (security-group-rules.ts).
 */
export function realmOf(privateIp: string): number {
  return ipToInt(privateIp) & 0xffff;
}

export interface KernelRule {
  readonly pref: number;
  readonly iif?: string | undefined;
  /** Destination prefix, e.g. "10.0.0.0/16". */
  readonly to?: string | undefined;
  /** "main" or a table number. */
  readonly table: string;
}

export interface KernelRoute {
  readonly table: number;
  /** Normalised prefix, e.g. "0.0.0.0/0". */
  readonly dst: string;
  /** What kumo writes is unicast or blackhole; anything else found in its tables is removed. */
  readonly type: string;
  readonly gateway?: string | undefined;
  readonly dev?: string | undefined;
  /** Destination realm (routes to instances carry realmOf(next hop)). */
  readonly realm?: number | undefined;
}

/** What the router's policy routing must be (built by LinuxVpcPlumbing from the plan). */
export interface PolicyRoutingSpec {
  readonly netns: string;
  readonly rules: readonly KernelRule[];
  readonly routes: readonly KernelRoute[];
}

/** What kumo measured in its ranges of the namespace, and the interfaces there. */
export interface MeasuredRouting {
  readonly rules: readonly KernelRule[];
  readonly routes: readonly KernelRoute[];
  /** Names of the namespace's links (a route through a missing one becomes a blackhole). */
  readonly links: ReadonlySet<string>;
}

/** "a.b.c.d/n" with n 0..32 and no host bits (as ip prints it), else throws. */
function prefix(text: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(text);
  const len = Number(m?.[2]);
  if (!m || len > 32) throw new Error(`invalid IPv4 prefix "${text}"`);
  const addr = ipToInt(m[1] as string);
  if (len < 32 && addr % 2 ** (32 - len) !== 0) throw new Error(`"${text}" has host bits set`);
  return text;
}

const normalise = (dst: string): string =>
  dst === 'default' ? '0.0.0.0/0' : prefix(dst.includes('/') ? dst : `${dst}/32`);

const inTables = (table: number): boolean => table >= TABLES.first && table <= TABLES.last;

/** Throws unless a wanted rule or route is safe to write into an `ip -batch` file. */
function check(spec: PolicyRoutingSpec): void {
  for (const r of spec.rules) {
    if (r.pref < RULE_PREFS.first || r.pref > RULE_PREFS.last)
      throw new Error(`rule priority ${r.pref} is outside kumo's range`);
    if (r.iif !== undefined) assertInterfaceName(r.iif, 'rule iif');
    if (r.to !== undefined) prefix(r.to);
    if (r.table !== 'main' && !inTables(Number(r.table)))
      throw new Error(`rule table ${r.table} is outside kumo's range`);
  }
  for (const r of spec.routes) {
    if (!inTables(r.table)) throw new Error(`route table ${r.table} is outside kumo's range`);
    prefix(r.dst);
    if (r.type === 'unicast') {
      ipToInt(r.gateway ?? '');
      assertInterfaceName(r.dev ?? '', 'route device');
      if (r.realm !== undefined && !(Number.isInteger(r.realm) && r.realm > 0 && r.realm < 65536))
        throw new Error(`route realm ${r.realm} is not 1..65535`);
    } else if (r.type !== 'blackhole') {
      throw new Error(`route type ${r.type} is not one kumo writes`);
    }
  }
}

const ruleArgs = (r: KernelRule): string[] => [
  'pref',
  String(r.pref),
  ...(r.iif !== undefined ? ['iif', r.iif] : []),
  ...(r.to !== undefined ? ['to', r.to] : []),
  'lookup',
  r.table,
];
const ruleKey = (r: KernelRule): string => ruleArgs(r).join(' ');
const routeKey = (r: KernelRoute): string => `${r.table} ${r.dst}`;
const routeArgs = (r: KernelRoute): string[] =>
  r.type === 'unicast'
    ? [
        r.dst,
        'via',
        r.gateway ?? '',
        'dev',
        r.dev ?? '',
        'onlink',
        ...(r.realm ? ['realm', String(r.realm)] : []),
        'table',
        String(r.table),
      ]
    : [r.type, r.dst, 'table', String(r.table)];
/** Deleting needs only type, prefix and table. */
const delArgs = (r: KernelRoute): string[] => [
  ...(r.type === 'unicast' ? [] : [r.type]),
  r.dst,
  'table',
  String(r.table),
];

/**
 * The `ip -batch` commands that turn what was measured into the spec. Pure. Order keeps every
 * packet on a wanted or a previous path: routes first (replace is idempotent and never leaves a
 * gap), then new rules, then stale rules, then stale routes. A route through a link that is not
 * there (a subnet whose bridge is not made yet) is programmed as a blackhole: never elsewhere.
 */
export function planPolicyRouting(spec: PolicyRoutingSpec, now: MeasuredRouting): string[][] {
  check(spec);
  const wantedRoutes = spec.routes.map((r) =>
    r.type === 'unicast' && !now.links.has(r.dev ?? '')
      ? { table: r.table, dst: r.dst, type: 'blackhole' }
      : r,
  );
  const current = new Map<string, KernelRoute[]>();
  for (const r of now.routes) current.set(routeKey(r), [...(current.get(routeKey(r)) ?? []), r]);
  const commands: string[][] = [];
  const wantedKeys = new Set<string>();
  for (const r of wantedRoutes) {
    wantedKeys.add(routeKey(r));
    const have = current.get(routeKey(r)) ?? [];
    const same = (h: KernelRoute) => routeArgs(h).join(' ') === routeArgs(r).join(' ');
    if (have.length === 1 && have.every(same)) continue;
    // replace swaps the route in place, type included (blackhole <-> unicast), leaving no gap.
    // Several routes for one prefix (not kumo's doing) all go first.
    if (have.length > 1) for (const h of have) commands.push(['route', 'del', ...delArgs(h)]);
    commands.push(['route', 'replace', ...routeArgs(r)]);
  }
  const haveRules = new Set(now.rules.map(ruleKey));
  const wantRules = new Set(spec.rules.map(ruleKey));
  for (const r of spec.rules)
    if (!haveRules.has(ruleKey(r))) commands.push(['rule', 'add', ...ruleArgs(r)]);
  for (const r of now.rules)
    if (!wantRules.has(ruleKey(r))) commands.push(['rule', 'del', ...ruleArgs(r)]);
  for (const r of now.routes) {
    if (!wantedKeys.has(routeKey(r))) commands.push(['route', 'del', ...delArgs(r)]);
  }
  return commands;
}

/** The commands as the text `ip -batch -` reads (the golden tests compare this). */
export const renderBatch = (commands: readonly (readonly string[])[]): string =>
  commands.map((c) => c.join(' ')).join('\n') + (commands.length > 0 ? '\n' : '');

interface JsonRule {
  priority?: number;
  iif?: string;
  dst?: string;
  dstlen?: number;
  table?: string;
}
interface JsonRoute {
  type?: string;
  flow?: { to?: string };
  dst?: string;
  gateway?: string;
  dev?: string;
  table?: string;
}

/** kumo's rules out of `ip -4 -j rule show`. Pure. */
export function parseRules(json: string): KernelRule[] {
  const rows = JSON.parse(json || '[]') as JsonRule[];
  return rows
    .filter((r) => (r.priority ?? -1) >= RULE_PREFS.first && (r.priority ?? -1) <= RULE_PREFS.last)
    .map((r) => ({
      pref: r.priority as number,
      iif: r.iif,
      to: r.dst !== undefined ? normalise(`${r.dst}/${r.dstlen ?? 32}`) : undefined,
      table: r.table ?? 'main',
    }));
}

/** The routes of kumo's tables out of `ip -4 -j route show table all`. Pure. */
export function parseRoutes(json: string): KernelRoute[] {
  const rows = JSON.parse(json || '[]') as JsonRoute[];
  return rows
    .filter((r) => inTables(Number(r.table)))
    .map((r) => ({
      table: Number(r.table),
      dst: normalise(r.dst ?? 'default'),
      type: r.type ?? 'unicast',
      gateway: r.type === undefined ? r.gateway : undefined,
      dev: r.type === undefined ? r.dev : undefined,
      ...(r.flow?.to !== undefined ? { realm: Number(r.flow.to) } : {}),
    }));
}
