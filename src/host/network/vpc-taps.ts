import type { Logger } from '../../core/logger.js';
import type { IpLinks } from './ip-link.js';
import type { TapSpec } from './specs.js';

/**
 * The instances' taps in VPC namespaces. The names of each namespace's links are listed once and
 * then kept up to date by this process (it makes and deletes the taps), so a tap that is not
 * among them is made without listing again; forget(netns) makes the next call list. The caller
 * serialises calls per namespace and checks that the namespace exists.
 */
export class VpcTaps {
  private readonly linkNames = new Map<string, Set<string>>();

  constructor(
    private readonly host: IpLinks,
    private readonly logger: Logger,
  ) {}

  /**
   * One batch that makes the taps, after one listing of the namespace's links: two commands for
   * any number of taps, and one (the batch) once the links are known and none of the taps is
   * among them (a new instance's tap, or a stopped one's whose tap this process deleted). Returns
   * the taps it had to create.
   */
  async ensure(netns: string, specs: readonly TapSpec[]): Promise<string[]> {
    const vpc = this.host.in(netns);
    const known = this.linkNames.get(netns);
    if (known && specs.every((s) => !known.has(s.tap))) {
      try {
        await vpc.batch(specs.flatMap((s) => tapCommands(s, true)));
        for (const s of specs) known.add(s.tap);
        return specs.map((s) => s.tap);
      } catch (e) {
        // Something made a link behind kumod's back: measure, and make what is missing.
        this.logger.warn('making taps from what kumod knew failed; measuring the links', {
          netns,
          error: String(e),
        });
        this.linkNames.delete(netns);
      }
    }
    const links = new Map((await vpc.list()).map((l) => [l.name, l]));
    const commands: string[][] = [];
    const created: string[] = [];
    for (const spec of specs) {
      const tap = links.get(spec.tap);
      if (tap && tap.tunType !== 'tap') {
        throw new Error(`${spec.tap} exists in ${netns} but is not a tap (${tap.kind ?? '?'})`);
      }
      if (!tap) created.push(spec.tap);
      if (!tap || tap.master !== spec.bridge || !tap.up) commands.push(...tapCommands(spec, !tap));
    }
    await vpc.batch(commands);
    this.linkNames.set(netns, new Set([...links.keys(), ...created]));
    return created;
  }

  /** Deletes the tap if it is there (the caller checked that its namespace is). */
  async remove(spec: TapSpec): Promise<void> {
    const vpc = this.host.in(spec.netns);
    if (await vpc.show(spec.tap)) await vpc.delete(spec.tap);
    this.linkNames.get(spec.netns)?.delete(spec.tap);
  }

  forget(netns: string): void {
    this.linkNames.delete(netns);
  }
}

/**
 * The `ip -batch` lines that put a tap on its bridge, up; `create` adds it first. No vnet_hdr
 * flag: QEMU's TUNSETIFF on the persistent tap sets the offloads it wants (vnet_hdr included).
 */
function tapCommands(spec: TapSpec, create: boolean): string[][] {
  return [
    ...(create ? [['tuntap', 'add', 'dev', spec.tap, 'mode', 'tap']] : []),
    ['link', 'set', 'dev', spec.tap, 'master', spec.bridge, 'up'],
  ];
}
