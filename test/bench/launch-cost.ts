/**
 * Benchmark: what a launch costs kumod, next to the bare steps it wraps.
 *
 * - launch-call: one RunInstances call (gRPC, until the reply: the VM is confined and running)
 *   vs the bare steps for one VM: `qemu-img create -b` on the image, a tap on the subnet bridge,
 *   the same QEMU argv started until its first QMP answer. Also kumod's own CPU per launch
 *   (its utime + stime, children excluded) vs the CPU those bare tools use.
 * - launch-count-N: one RunInstances call for N = 1, 5, 10 vs the bare steps for N VMs (QEMUs
 *   started in parallel): linear in N?
 * - launch-concurrency: 5 concurrent RunInstances calls vs the same 5 one after the other.
 * - kumod-idle-cpu: kumod's CPU per second while K booted guests just run (K = 1, 5) vs none.
 * - launch-breakdown: kumod's own per-step timings (from its debug log) for one launch.
 *
 * Each benchmark prints one JSON object: benchmark, medianKumoMs, medianBareMs,
 * medianDifferenceMs, ratio (plus details). kumod runs in throwaway network namespaces.
 * Usage: npx tsx test/bench/launch-cost.ts [rounds=3]
 *   KUMO_BENCH_LAUNCH_PARTS=call,concurrency runs only those parts (default: all five).
 *   KUMO_BENCH_KUMOD_LOG_LEVEL=info runs kumod at its default level (default here: debug, which
 *   count and breakdown read; the CPU figures are a little higher at debug).
 */
import { credentials } from '@grpc/grpc-js';
import { execa } from 'execa';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeInstancesRequest,
  InstancesClient,
  RunInstancesRequest,
  TerminateInstancesRequest,
  type DescribeInstancesResponse,
  type Instance,
  type RunInstancesResponse,
  type TerminateInstancesResponse,
} from '../../src/gen/kumo/v1/instances.js';
import { KumodHarness } from '../integration/harness/kumod-harness.js';
import { cpuMs, kumodPid, spawnerPid } from './proc-cpu.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 3);
/** KUMO_BENCH_LAUNCH_PARTS picks parts (comma-separated: call,count,concurrency,idle,breakdown). */
const parts = new Set(
  (process.env.KUMO_BENCH_LAUNCH_PARTS ?? 'call,count,concurrency,idle,breakdown').split(','),
);
const summary = (benchmark: string, kumo: number[], bare: number[], extra: object = {}) => {
  const k = stats(kumo).median;
  const b = stats(bare).median;
  return {
    benchmark,
    rounds: kumo.length,
    ...extra,
    kumoMs: kumo.map((x) => Math.round(x * 10) / 10),
    bareMs: bare.map((x) => Math.round(x * 10) / 10),
    medianKumoMs: Math.round(k * 10) / 10,
    medianBareMs: Math.round(b * 10) / 10,
    medianDifferenceMs: Math.round((k - b) * 10) / 10,
    ratio: Number((k / b).toFixed(3)),
  };
};

const mean = (xs: readonly number[]): number =>
  Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 10) / 10;
const print = (o: object): void => void process.stdout.write(JSON.stringify(o, null, 2) + '\n');

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
  const logLevel = process.env.KUMO_BENCH_KUMOD_LOG_LEVEL ?? 'debug';
  const h = await KumodHarness.start(['--cpu-overcommit', '16', '--log-level', logLevel]);
  const client = new InstancesClient(`unix://${h.socket}`, credentials.createInsecure());
  const settle =
    <R>(resolve: (r: R) => void, reject: (e: Error) => void) =>
    (e: Error | null, r: R): void =>
      e ? reject(e) : resolve(r);
  const launch = (count: number): Promise<Instance[]> =>
    new Promise<RunInstancesResponse>((resolve, reject) =>
      client.runInstances(
        RunInstancesRequest.fromPartial({
          instanceType: 't3.nano',
          minCount: count,
          maxCount: count,
        }),
        settle(resolve, reject),
      ),
    ).then((r) => r.reservation?.instances ?? []);
  const describe = (ids: readonly string[]): Promise<DescribeInstancesResponse> =>
    new Promise((resolve, reject) =>
      client.describeInstances(
        DescribeInstancesRequest.fromPartial({ instanceIds: [...ids] }),
        settle(resolve, reject),
      ),
    );
  const terminate = (ids: readonly string[]): Promise<TerminateInstancesResponse> =>
    new Promise((resolve, reject) =>
      client.terminateInstances(
        TerminateInstancesRequest.fromPartial({ instanceIds: [...ids] }),
        settle(resolve, reject),
      ),
    );
  const states = async (ids: readonly string[]): Promise<string[]> =>
    (await describe(ids)).reservations.flatMap((r) => r.instances.map((i) => i.state?.name ?? ''));
  const waitFor = async (ids: readonly string[], state: string): Promise<void> => {
    for (let n = 0; n < 3000; n++) {
      if ((await states(ids)).every((s) => s === state)) return;
      await sleep(20);
    }
    throw new Error(`${ids.join(' ')} never became ${state}`);
  };
  const terminateAll = async (ids: readonly string[]): Promise<void> => {
    if (ids.length === 0) return;
    await terminate(ids);
    await waitFor(ids, 'terminated');
  };

  try {
    const kumod = kumodPid(h);
    // A template: the QEMU argv kumod runs, read back from a real instance.
    const [probe] = await launch(1);
    const probeId = probe?.instanceId as string;
    const pid = Number(readFileSync(join(h.stateDir, 'instances', probeId, 'qemu.pid'), 'utf8'));
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    await terminateAll([probeId]);
    const [vpcNs] = await h.vpcNamespaces();
    const ns = vpcNs as string;
    const bridge = (
      await execa('ip', ['-n', ns, '-o', 'link', 'show', 'type', 'bridge'])
    ).stdout.match(/\d+: (br[0-9a-f]+)/)?.[1] as string;
    // The root drive (a volume file since root volumes became EBS volumes).
    const rootArg = argv.find((a) => a.startsWith('file=') && a.includes(',id=root,')) as string;
    const overlay = rootArg.split(',')[0]?.slice(5) as string;
    const probeDir = join(h.stateDir, 'instances', probeId);
    const base = readdirSync(join(h.stateDir, 'images')).map((ami) =>
      join(h.stateDir, 'images', ami, 'disk.qcow2'),
    )[0] as string;

    /** The bare steps for `count` VMs; resolves with the wall time, and cleans up after itself. */
    const bare = async (count: number, round: number): Promise<number> => {
      const vms = Array.from({ length: count }, (_, k) => {
        const dir = join(h.dir, `bare-${round}-${k}`);
        const tap =
          `tb${String(round).padStart(2, '0')}${String(k).padStart(2, '0')}${h.tag}`.slice(0, 15);
        const mac = `52:54:00:fe:${String(round % 100).padStart(2, '0')}:${String(k).padStart(2, '0')}`;
        return { dir, tap, mac };
      });
      for (const v of vms) mkdirSync(v.dir, { recursive: true });
      const t0 = performance.now();
      for (const v of vms) {
        await execa('qemu-img', [
          'create',
          '-q',
          '-f',
          'qcow2',
          '-F',
          'qcow2',
          '-b',
          base,
          join(v.dir, 'root.qcow2'),
        ]);
        await execa('ip', ['-n', ns, 'tuntap', 'add', 'dev', v.tap, 'mode', 'tap']);
        await execa('ip', ['-n', ns, 'link', 'set', v.tap, 'master', bridge, 'up']);
      }
      const qemus = vms.map((v) => {
        const args = argv
          .slice(1)
          .filter((a) => a !== '-S') // bare QEMU runs at once; kumod resumes after confining
          .map((a) =>
            a
              .replaceAll(probeDir, v.dir)
              .replace(overlay, join(v.dir, 'root.qcow2'))
              .replace(/ifname=[^,]+/, `ifname=${v.tap}`)
              .replace(/mac=[0-9a-f:]+/, `mac=${v.mac}`)
              .replace(/guest=i-[0-9a-f]+/, `guest=bare-${round}`),
          );
        return execa('nsenter', [`--net=/run/netns/${ns}`, '--', argv[0] as string, ...args], {
          reject: false,
        });
      });
      await Promise.all(vms.map((v) => qmpAnswers(join(v.dir, 'qmp.sock'))));
      const ms = performance.now() - t0;
      for (const q of qemus) q.kill('SIGKILL');
      await Promise.all(qemus);
      for (const v of vms) {
        await execa('ip', ['-n', ns, 'link', 'del', v.tap], { reject: false });
        rmSync(v.dir, { recursive: true, force: true });
      }
      return ms;
    };

    if (parts.has('call')) {
      // launch-call, with CPU per launch.
      const callMs: number[] = [];
      const bareMs: number[] = [];
      const kumodCpu: number[] = [];
      const spawnerCpu: number[] = [];
      const bareCpu: number[] = [];
      const spawner = spawnerPid(kumod);
      for (let r = 0; r < rounds; r++) {
        const cpu0 = cpuMs(kumod);
        const spawner0 = cpuMs(spawner);
        const t0 = performance.now();
        const [i] = await launch(1);
        callMs.push(performance.now() - t0);
        const id = i?.instanceId as string;
        await waitFor([id], 'running');
        kumodCpu.push(cpuMs(kumod) - cpu0);
        spawnerCpu.push(cpuMs(spawner) - spawner0);
        await terminateAll([id]);
        const c0 = cpuMs('self', true) - cpuMs('self');
        bareMs.push(await bare(1, r));
        bareCpu.push(cpuMs('self', true) - cpuMs('self') - c0);
        process.stderr.write(
          `launch-call round ${r + 1}: kumo ${callMs.at(-1)?.toFixed(0)} ms, bare ${bareMs.at(-1)?.toFixed(0)} ms\n`,
        );
      }
      print(
        summary(
          'launch-call: RunInstances (1 x t3.nano) until the reply vs qemu-img + tap + QEMU to its first QMP answer',
          callMs,
          bareMs,
        ),
      );
      print(
        summary(
          "kumod-cpu-per-launch: CPU (utime+stime) of kumod and its command spawner from the call to running vs the bare tools' CPU",
          kumodCpu.map((k, n) => k + (spawnerCpu[n] ?? 0)),
          bareCpu,
          {
            kumodOnlyMs: kumodCpu,
            spawnerMs: spawnerCpu,
            // /proc counts CPU in 10 ms ticks: over many rounds the mean is the finer figure.
            meanKumodMs: mean(kumodCpu),
            meanSpawnerMs: mean(spawnerCpu),
            kumodLogLevel: logLevel,
          },
        ),
      );
    }

    if (parts.has('count')) {
      // launch-count-N, with the host commands (ip, iptables-restore, qemu-img...) each call ran.
      const hostCommands = (): number => h.log().split('"msg":"host command"').length - 1;
      for (const n of [1, 5, 10]) {
        const k: number[] = [];
        const b: number[] = [];
        const commands: number[] = [];
        for (let r = 0; r < rounds; r++) {
          const c0 = hostCommands();
          const t0 = performance.now();
          const launched = await launch(n);
          k.push(performance.now() - t0);
          commands.push(hostCommands() - c0);
          await terminateAll(launched.map((i) => i.instanceId));
          b.push(await bare(n, 100 + r));
        }
        print(
          summary(
            `launch-count-${n}: RunInstances --count ${n} vs the bare steps for ${n} VMs`,
            k,
            b,
            {
              count: n,
              perInstanceMedianKumoMs: Math.round(stats(k).median / n),
              hostCommandsPerCall: commands,
            },
          ),
        );
      }
    }

    if (parts.has('concurrency')) {
      // launch-concurrency: 5 at once vs 5 one after the other (wall time of the whole batch).
      const concurrent: number[] = [];
      const sequential: number[] = [];
      for (let r = 0; r < rounds; r++) {
        let t0 = performance.now();
        const together = await Promise.all([1, 2, 3, 4, 5].map(() => launch(1)));
        concurrent.push(performance.now() - t0);
        await terminateAll(together.flat().map((i) => i.instanceId));
        const ids: string[] = [];
        t0 = performance.now();
        for (let k = 0; k < 5; k++) ids.push(...(await launch(1)).map((i) => i.instanceId));
        sequential.push(performance.now() - t0);
        await terminateAll(ids);
      }
      print(
        summary(
          'launch-concurrency: 5 concurrent RunInstances calls (kumo) vs the same 5 sequential (bare column)',
          concurrent,
          sequential,
        ),
      );
    }

    if (parts.has('idle')) {
      // kumod-idle-cpu: K running guests, booted, kumod's CPU per second over 30 s.
      const idle = async (k: number): Promise<number> => {
        const launched = k > 0 ? await launch(k) : [];
        const ids = launched.map((i) => i.instanceId);
        if (ids.length) await waitFor(ids, 'running');
        // Long enough for the guests to finish booting on 2 cores (DHCP, metadata): idle means idle.
        await sleep(45_000);
        const c0 = cpuMs(kumod);
        await sleep(30_000);
        const perSecond = (cpuMs(kumod) - c0) / 30;
        await terminateAll(ids);
        return perSecond;
      };
      const none = await idle(0);
      for (const k of [1, 5]) {
        print(
          summary(
            `kumod-idle-cpu-${k}: kumod CPU ms per second with ${k} guest(s) running vs with none`,
            [await idle(k)],
            [none],
            { guests: k },
          ),
        );
      }
    }

    if (parts.has('breakdown')) {
      // launch-breakdown: kumod's own step timings for the launches above.
      const steps = h
        .log()
        .split('\n')
        .filter((l) => l.includes('"msg":"qemu started"'))
        .map((l) => (JSON.parse(l) as { msAfterStart: Record<string, number> }).msAfterStart);
      const launchSteps = ['disks and ports ready', 'vms started'].map((msg) => ({
        msg,
        ms: h
          .log()
          .split('\n')
          .filter((l) => l.includes(`"msg":"${msg}"`))
          .map((l) => (JSON.parse(l) as { ms: number }).ms),
      }));
      const med = (xs: number[]) => Math.round(stats(xs).median);
      print({
        benchmark:
          "launch-breakdown: median ms since the start of kumod's launch / of the QEMU start",
        launch: Object.fromEntries(launchSteps.map((s) => [s.msg, med(s.ms)])),
        qemuStart: Object.fromEntries(
          Object.keys(steps[0] ?? {}).map((k) => [k, med(steps.map((s) => s[k] ?? NaN))]),
        ),
      });
    }
  } finally {
    client.close();
    await h.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
