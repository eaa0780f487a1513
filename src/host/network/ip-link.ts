import type { CommandRunner } from '../command-runner.js';

/** What kumo needs to know about one interface, measured with `ip -j -d addr show`. */
export interface LinkState {
  readonly name: string;
  readonly ifindex: number;
  /** For a veth whose peer lives in another namespace: the peer's ifindex there. */
  readonly peerIndex: number | undefined;
  /** Administratively up (the UP flag), whatever the carrier. */
  readonly up: boolean;
  readonly master: string | undefined;
  /** linkinfo.info_kind: "bridge", "veth", "tun", ... */
  readonly kind: string | undefined;
  /** For tun devices: "tap" or "tun". */
  readonly tunType: string | undefined;
  /** For bridges: whether bridged IPv4 frames go through iptables (per-bridge switch). */
  readonly nfCallIptables: boolean | undefined;
  /** IPv4 addresses as "a.b.c.d/len". */
  readonly ipv4: readonly string[];
}

interface IpJsonLink {
  ifindex?: number;
  ifname?: string;
  link_index?: number;
  link_netnsid?: number;
  flags?: string[];
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { type?: string; nf_call_iptables?: number } };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Parses `ip -j -d addr show dev NAME` output (an array with one link). Pure. */
export function parseLinkJson(stdout: string): LinkState | undefined {
  return parseLinksJson(stdout)[0];
}

/** Parses `ip -j -d addr show` output: every link of the namespace. Pure. */
export function parseLinksJson(stdout: string): LinkState[] {
  return (JSON.parse(stdout) as IpJsonLink[]).flatMap((l) => {
    const link = toLinkState(l);
    return link ? [link] : [];
  });
}

function toLinkState(l: IpJsonLink): LinkState | undefined {
  if (!l.ifname) return undefined;
  const nf = l.linkinfo?.info_data?.nf_call_iptables;
  return {
    name: l.ifname,
    ifindex: l.ifindex ?? 0,
    peerIndex: l.link_netnsid === undefined ? undefined : l.link_index,
    up: l.flags?.includes('UP') ?? false,
    master: l.master,
    kind: l.linkinfo?.info_kind,
    tunType: l.linkinfo?.info_kind === 'tun' ? l.linkinfo.info_data?.type : undefined,
    nfCallIptables: nf === undefined ? undefined : nf === 1,
    ipv4: (l.addr_info ?? [])
      .filter((a) => a.family === 'inet' && a.local !== undefined)
      .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
  };
}

/**
 * Typed `ip` calls in one network namespace (undefined: the caller's own). Each method is one
 * command; the ensure/remove logic that measures first lives with the callers.
 */
export class IpLinks {
  constructor(
    private readonly runner: CommandRunner,
    readonly netns: string | undefined,
  ) {}

  /** The same runner, another namespace. */
  in(netns: string | undefined): IpLinks {
    return new IpLinks(this.runner, netns);
  }

  /** The interface's state, or undefined if it does not exist. */
  async show(name: string): Promise<LinkState | undefined> {
    const r = await this.ip(['-j', '-d', 'addr', 'show', 'dev', name], [1]);
    if (r.exitCode !== 0) {
      // Exit 1 also covers other failures; only "does not exist" means absent.
      if (/does not exist/.test(r.stderr)) return undefined;
      throw new Error(`ip addr show dev ${name} failed: ${r.stderr.trim()}`);
    }
    return parseLinkJson(r.stdout);
  }

  /** Every interface of the namespace, in one command. */
  async list(): Promise<LinkState[]> {
    return parseLinksJson((await this.ip(['-j', '-d', 'addr', 'show'])).stdout);
  }

  /**
   * Several `ip` commands in one process (`ip -batch -`), stopping at the first that fails: the
   * host work for a batch of instances costs one process, not one per command.
   */
  async batch(commands: readonly (readonly string[])[]): Promise<void> {
    if (commands.length === 0) return;
    await this.runner.run('ip', ['-batch', '-'], {
      netns: this.netns,
      input: commands.map((c) => c.join(' ')).join('\n') + '\n',
    });
  }

  async add(name: string, typeArgs: readonly string[]): Promise<void> {
    await this.ip(['link', 'add', name, ...typeArgs]);
  }

  async set(name: string, args: readonly string[]): Promise<void> {
    await this.ip(['link', 'set', 'dev', name, ...args]);
  }

  async delete(name: string): Promise<void> {
    await this.ip(['link', 'del', 'dev', name]);
  }

  async addAddress(name: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'add', cidr, 'dev', name]);
  }

  async delAddress(name: string, cidr: string): Promise<void> {
    await this.ip(['addr', 'del', cidr, 'dev', name]);
  }

  /** Any `ip` command in this namespace. */
  ip(args: readonly string[], okExitCodes: readonly number[] = []) {
    return this.runner.run('ip', args, { netns: this.netns, okExitCodes });
  }
}

/**
 * Makes `name` exist as a bridge holding `address`, up. Measures first, so a second call runs one
 * `ip` command. Bridged IPv4 frames are sent through iptables on this bridge too (anti-spoofing
 * must not depend on the namespace-wide sysctl alone).
 */
export async function ensureBridge(
  ip: IpLinks,
  name: string,
  address: string,
  opts: { nfCallIptables: boolean },
): Promise<void> {
  let link = await ip.show(name);
  if (link && link.kind !== 'bridge') {
    throw new Error(`${name} exists but is a ${link.kind ?? 'plain'} interface, not a bridge`);
  }
  if (!link) {
    await ip.add(name, [
      'type',
      'bridge',
      ...(opts.nfCallIptables ? ['nf_call_iptables', '1'] : []),
    ]);
    link = await ip.show(name);
  } else if (opts.nfCallIptables && link.nfCallIptables === false) {
    await ip.set(name, ['type', 'bridge', 'nf_call_iptables', '1']);
  }
  if (!link?.ipv4.includes(address)) await ip.addAddress(name, address);
  if (!link?.up) await ip.set(name, ['up']);
}
