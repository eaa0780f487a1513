/**
 * Benchmark: a new VPC with a subnet and one instance launched into it. kumo's CreateVpc +
 * CreateSubnet + RunInstances (gRPC, until RunInstances answers: the VPC's namespace, uplink,
 * subnet bridge, dnsmasq with DHCP and DNS, the tap and a confined QEMU all exist) next to the
 * raw commands that make the same objects: `ip netns add`, a veth onto the public bridge with the
 * router's address and default route, a bridge with the gateway address, dnsmasq (DHCP + DNS on
 * the gateway) started, a tap on the bridge, `qemu-img create -b`, and the same QEMU argv kumod
 * runs, started until its first QMP answer. The difference is kumo's share: API, validation,
 * state, the rule set, confinement, the metadata proxy.
 *
 * Runs in a throwaway network namespace like the integration tests (root).
 * Usage: npx tsx test/bench/vpc-launch.ts [rounds=5]
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  InstancesClient,
  RunInstancesRequest,
  TerminateInstancesRequest,
  type RunInstancesResponse,
} from '../../src/gen/kumo/v1/instances.js';
import {
  CreateSubnetRequest,
  CreateVpcRequest,
  VpcsClient,
  type CreateSubnetResponse,
  type CreateVpcResponse,
} from '../../src/gen/kumo/v1/vpcs.js';
import { eventually, KumodHarness } from '../integration/harness/kumod-harness.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 5);
const ms2 = (x: number): number => Number(x.toFixed(2));

function unaryCall<Req, Res>(
  fn: (req: Req, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (e, r) => (e ? reject(e) : resolve(r))));
}

/** Waits until a unix socket accepts and QEMU's QMP greeting arrives. */
async function qmpAnswers(path: string, limitMs = 30_000): Promise<void> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(path);
      s.once('data', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(5);
  }
  throw new Error(`no QMP on ${path}`);
}

async function main(): Promise<void> {
  const h = await KumodHarness.start(['--cpu-overcommit', '16']);
  const target = `unix://${h.socket}`;
  const vpcs = new VpcsClient(target, credentials.createInsecure());
  const instances = new InstancesClient(target, credentials.createInsecure());
  const terminate = async (id: string) => {
    await unaryCall(
      instances.terminateInstances.bind(instances),
      TerminateInstancesRequest.fromPartial({ instanceIds: [id] }),
    );
    await eventually(
      `${id} terminated`,
      async () =>
        (await h.json('describe-instances', '--instance-ids', id)).Reservations[0].Instances[0]
          .State.Name === 'terminated',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  };
  /** kumo: a VPC, a subnet and a launch into it; returns the time and the instance id. */
  const viaKumo = async (r: number): Promise<{ ms: number; id: string }> => {
    const t0 = performance.now();
    const vpc = await unaryCall<CreateVpcRequest, CreateVpcResponse>(
      vpcs.createVpc.bind(vpcs),
      CreateVpcRequest.fromPartial({ cidrBlock: `10.${r}.0.0/16` }),
    );
    const subnet = await unaryCall<CreateSubnetRequest, CreateSubnetResponse>(
      vpcs.createSubnet.bind(vpcs),
      CreateSubnetRequest.fromPartial({ vpcId: vpc.vpc?.vpcId, cidrBlock: `10.${r}.1.0/24` }),
    );
    const run = await unaryCall<RunInstancesRequest, RunInstancesResponse>(
      instances.runInstances.bind(instances),
      RunInstancesRequest.fromPartial({
        instanceType: 't3.nano',
        minCount: 1,
        maxCount: 1,
        subnetId: subnet.subnet?.subnetId,
      }),
    );
    return {
      ms: performance.now() - t0,
      id: run.reservation?.instances[0]?.instanceId as string,
    };
  };

  try {
    // The QEMU argv kumod runs, read back from a probe in a VPC of the bench's own.
    const probe = await viaKumo(200);
    const pid = Number(readFileSync(join(h.stateDir, 'instances', probe.id, 'qemu.pid'), 'utf8'));
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    await terminate(probe.id);
    const probeDir = join(h.stateDir, 'instances', probe.id);
    const rootArg = argv.find((a) => a.startsWith('file=') && a.includes('id=root,')) as string;
    const overlay = rootArg.split(',')[0]?.slice(5) as string;
    const base = readdirSync(join(h.stateDir, 'images')).map((ami) =>
      join(h.stateDir, 'images', ami, 'disk.qcow2'),
    )[0] as string;

    /** The raw commands for the same objects; resolves with the wall time. */
    const bare = async (r: number): Promise<number> => {
      const ns = `${h.prefix}-bare${r}`;
      const hostIf = `vb${h.tag}${r}`.slice(0, 15);
      const dir = join(h.runDir, `bare-${r}`);
      const tap = `tb${h.tag}${r}`.slice(0, 15);
      mkdirSync(dir, { recursive: true });
      const inNs = (cmd: string, args: string[]) =>
        execa('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args]);
      const t0 = performance.now();
      await execa('ip', ['netns', 'add', ns]);
      await execa('ip', [
        '-n',
        h.ns,
        'link',
        'add',
        hostIf,
        'type',
        'veth',
        'peer',
        'name',
        'uplink',
        'netns',
        ns,
      ]);
      await execa('ip', ['-n', h.ns, 'link', 'set', hostIf, 'master', 'kumo-pub', 'up']);
      await execa('ip', ['-n', ns, 'addr', 'add', `100.80.0.${200 + r}/24`, 'dev', 'uplink']);
      await execa('ip', ['-n', ns, 'link', 'set', 'uplink', 'up']);
      await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await execa('ip', ['-n', ns, 'route', 'add', 'default', 'via', '100.80.0.1']);
      await inNs('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      await execa('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      await execa('ip', ['-n', ns, 'addr', 'add', `10.${r}.1.1/24`, 'dev', 'br0']);
      await execa('ip', ['-n', ns, 'link', 'set', 'br0', 'up']);
      writeFileSync(join(dir, 'hosts'), `10.${r}.1.4 ip-10-${r}-1-4.kumo.internal\n`);
      writeFileSync(
        join(dir, 'dhcp-hosts'),
        `52:54:00:fe:00:${String(r).padStart(2, '0')},10.${r}.1.4\n`,
      );
      await inNs('dnsmasq', [
        '--port=53',
        '--no-resolv',
        '--no-hosts',
        `--addn-hosts=${join(dir, 'hosts')}`,
        '--local=/kumo.internal/',
        '--interface=br0',
        '--bind-interfaces',
        '--except-interface=lo',
        `--dhcp-range=10.${r}.1.0,static,255.255.255.0,1h`,
        `--dhcp-hostsfile=${join(dir, 'dhcp-hosts')}`,
        `--dhcp-leasefile=${join(dir, 'leases')}`,
        `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      ]);
      await execa('ip', ['-n', ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      await execa('ip', ['-n', ns, 'link', 'set', tap, 'master', 'br0', 'up']);
      await execa('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        'qcow2',
        '-b',
        base,
        join(dir, 'root.qcow2'),
      ]);
      const args = argv
        .slice(1)
        .filter((a) => a !== '-S') // bare QEMU runs at once; kumod resumes after confining
        .map((a) =>
          a
            .replaceAll(probeDir, dir)
            .replace(overlay, join(dir, 'root.qcow2'))
            .replace(/ifname=[^,]+/, `ifname=${tap}`)
            .replace(/guest=i-[0-9a-f]+/, `guest=bare-${r}`),
        );
      const qemu = execa('nsenter', [`--net=/run/netns/${ns}`, '--', argv[0] as string, ...args], {
        reject: false,
      });
      await qmpAnswers(join(dir, 'qmp.sock'));
      const ms = performance.now() - t0;
      qemu.kill('SIGKILL');
      await qemu;
      const dnsmasq = Number(readFileSync(join(dir, 'dnsmasq.pid'), 'utf8'));
      process.kill(dnsmasq, 'SIGTERM');
      await execa('ip', ['netns', 'del', ns]);
      await execa('ip', ['-n', h.ns, 'link', 'del', hostIf], { reject: false });
      rmSync(dir, { recursive: true, force: true });
      return ms;
    };

    const k: number[] = [];
    const b: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const kumoRound = async () => {
        const { ms, id } = await viaKumo(r);
        k.push(ms);
        await terminate(id);
      };
      const bareRound = async () => void b.push(await bare(r));
      if (r % 2 === 0) {
        await kumoRound();
        await bareRound();
      } else {
        await bareRound();
        await kumoRound();
      }
      process.stderr.write(`round ${r}/${rounds}\n`);
    }
    const kumo = stats(k);
    const bareStats = stats(b);
    console.log(
      JSON.stringify({
        benchmark:
          'create-vpc + create-subnet + run-instances into it (until RunInstances answers) vs raw ip netns/veth/bridge + dnsmasq + tap + qemu-img + QEMU to first QMP answer',
        rounds,
        medianKumoMs: ms2(kumo.median),
        medianBareMs: ms2(bareStats.median),
        medianDifferenceMs: ms2(kumo.median - bareStats.median),
        ratio: Number((kumo.median / bareStats.median).toFixed(3)),
        kumoMs: k.map(ms2),
        bareMs: b.map(ms2),
      }),
    );
  } finally {
    vpcs.close();
    instances.close();
    await h.close();
  }
}

await main();
