import type { Logger } from '../../core/logger.js';
import type { VpcHostSpec } from './specs.js';
import { stat } from 'node:fs/promises';
import { netnsPath, type CommandRunner } from '../command-runner.js';
import { netnsPids, processArgv, stopProcess } from './detached-process.js';
import { IpLinks } from './ip-link.js';
import { METADATA_ADDRESS } from './metadata-proxy-launcher.js';

/** True when the namespace's file is there (what `ip netns add` makes), without a command. */
export async function namespaceFileExists(name: string): Promise<boolean> {
  return stat(netnsPath(name)).then(
    () => true,
    () => false,
  );
}

/** True when `ip netns` knows the namespace. */
export async function netnsExists(runner: CommandRunner, name: string): Promise<boolean> {
  const { stdout } = await runner.run('ip', ['netns', 'list']);
  // Lines read "NAME" or "NAME (id: N)".
  return stdout.split('\n').some((line) => line.split(' ')[0] === name);
}

/**
 * The VPC's router namespace: created if missing, lo up with the metadata address, forwarding on,
 * and bridged IPv4 frames sent through iptables (anti-spoofing matches on bridge ports).
 */
export async function ensureNamespace(runner: CommandRunner, spec: VpcHostSpec): Promise<void> {
  if (!(await netnsExists(runner, spec.netns)))
    await runner.run('ip', ['netns', 'add', spec.netns]);
  const vpc = new IpLinks(runner, spec.netns);
  const lo = await vpc.show('lo');
  if (!lo?.up) await vpc.set('lo', ['up']);
  if (!lo?.ipv4.includes(`${METADATA_ADDRESS}/32`)) {
    await vpc.addAddress('lo', `${METADATA_ADDRESS}/32`);
  }
  // Both are per namespace, so they are written from inside it. Without bridge-nf-call-iptables the
  // anti-spoofing rules would silently match nothing: a failure here must stop the VPC.
  await runner.run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'], { netns: spec.netns });
  try {
    await runner.run('sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1'], {
      netns: spec.netns,
    });
  } catch (e) {
    throw new Error(
      `cannot send bridged traffic through iptables in ${spec.netns} (is br_netfilter available? ` +
        `kumo's anti-spoofing depends on it): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * The veth pair between kumod's namespace (`host`, enslaved to the public bridge) and the VPC
 * namespace (`uplinkVpcIf`, holding the router address, default route via the public gateway).
 * Created in one command with the peer born inside the VPC namespace, so its name never clashes
 * with another VPC's uplink in kumod's namespace. A half-broken pair is deleted and made again.
 */
export async function ensureUplink(host: IpLinks, spec: VpcHostSpec): Promise<void> {
  const vpc = host.in(spec.netns);
  let outer = await host.show(spec.uplinkHostIf);
  let inner = await vpc.show(spec.uplinkVpcIf);
  if (outer && outer.kind !== 'veth') {
    throw new Error(`${spec.uplinkHostIf} exists but is not a veth (${outer.kind ?? 'unknown'})`);
  }
  const paired =
    outer !== undefined &&
    inner !== undefined &&
    outer.peerIndex === inner.ifindex &&
    inner.peerIndex === outer.ifindex;
  if (!paired) {
    if (outer) await host.delete(spec.uplinkHostIf);
    if (inner) await vpc.delete(spec.uplinkVpcIf);
    await host.add(spec.uplinkHostIf, [
      'type',
      'veth',
      'peer',
      'name',
      spec.uplinkVpcIf,
      'netns',
      spec.netns,
    ]);
    outer = await host.show(spec.uplinkHostIf);
    inner = await vpc.show(spec.uplinkVpcIf);
  }
  if (outer?.master !== spec.publicBridge) {
    await host.set(spec.uplinkHostIf, ['master', spec.publicBridge]);
  }
  if (!outer?.up) await host.set(spec.uplinkHostIf, ['up']);
  if (!inner?.ipv4.includes(spec.routerAddress)) {
    await vpc.addAddress(spec.uplinkVpcIf, spec.routerAddress);
  }
  if (!inner?.up) await vpc.set(spec.uplinkVpcIf, ['up']);
  // `replace` is idempotent and also corrects a default route that points elsewhere.
  await vpc.ip(['route', 'replace', 'default', 'via', spec.publicGateway, 'dev', spec.uplinkVpcIf]);
}

/**
 * Stops every process still inside the namespace. Deleting a namespace only drops its name: any
 * process in it (a leftover dnsmasq, a proxy whose pid file was lost) would keep it, and its
 * interfaces, alive out of sight. The namespace belongs to kumo, so whatever runs there is kumo's.
 */
export async function stopProcessesIn(
  runner: CommandRunner,
  netns: string,
  logger: Logger,
): Promise<void> {
  for (const pid of await netnsPids(runner, netns)) {
    logger.warn('stopping a process left in a VPC namespace being deleted', {
      netns,
      pid,
      argv: (await processArgv(pid))?.join(' '),
    });
    await stopProcess(pid);
  }
}
