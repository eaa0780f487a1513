/**
 * Profile: where kumod's own CPU goes during launches. Starts kumod (as the benches do) under
 * `node --cpu-prof`, runs `rounds` launches of one t3.nano (each from the RunInstances call until
 * DescribeInstances says running, then terminated outside the measured window), optionally
 * `concurrent` launches at once per round, and reads the profile kumod writes when it stops.
 * Prints one JSON object: kumod's and its spawner's CPU per launch (from /proc/<pid>/stat), and
 * the profile's self time inside the launch windows, by function and by module (ms per launch).
 * Usage: npx tsx test/bench/launch-profile.ts [rounds=10] [concurrent=1] [top=40]
 *   KUMO_BENCH_KUMOD_LOG_LEVEL=info profiles kumod at its default log level (default: debug).
 */
import { credentials } from '@grpc/grpc-js';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeInstancesRequest,
  InstancesClient,
  RunInstancesRequest,
  TerminateInstancesRequest,
  type DescribeInstancesResponse,
  type RunInstancesResponse,
  type TerminateInstancesResponse,
} from '../../src/gen/kumo/v1/instances.js';
import { KumodHarness } from '../integration/harness/kumod-harness.js';
import { cpuMs, kumodPid, spawnerPid } from './proc-cpu.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 10);
const concurrent = Number(process.argv[3] ?? 1);
const top = Number(process.argv[4] ?? 40);

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Microseconds on the monotonic clock V8's profiler stamps samples with. */
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Where a function lives: kumo's own file, a package, or Node's internals. */
function moduleOf(url: string): string {
  if (!url) return '(native/VM)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1] as string;
  const own = url.match(/\/dist\/(.+)$/);
  if (own) return `kumo:${own[1]}`;
  if (url.startsWith('node:')) return url;
  return url;
}

/** Self time (ms) of the samples inside the windows, by function and by module. */
function selfTime(p: Profile, windows: readonly (readonly [number, number])[]) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const byStack = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frame = (n: ProfileNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${moduleOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  /** The sampled function and the callers above it that are kumo's or a package's own code. */
  const stack = (n: ProfileNode): string => {
    const frames = [frame(n)];
    let id = parent.get(n.id);
    while (id !== undefined && frames.length < 6) {
      const up = byId.get(id);
      if (!up) break;
      if (up.callFrame.url && !up.callFrame.url.startsWith('node:')) frames.push(frame(up));
      id = parent.get(id);
    }
    return frames.join(' < ');
  };
  let t = p.startTime;
  let total = 0;
  for (let k = 0; k < p.samples.length; k++) {
    const dt = p.timeDeltas[k] ?? 0;
    t += dt;
    // A sample accounts for the time since the one before it.
    if (!windows.some(([a, b]) => t >= a && t <= b)) continue;
    const node = byId.get(p.samples[k] as number);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const f = node.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + dt / 1000);
    const st = stack(node);
    byStack.set(st, (byStack.get(st) ?? 0) + dt / 1000);
    const m = f.url ? moduleOf(f.url) : f.functionName;
    byModule.set(m, (byModule.get(m) ?? 0) + dt / 1000);
    total += dt / 1000;
  }
  return { total, byFunction, byModule, byStack };
}

async function main(): Promise<void> {
  const profDir = mkdtempSync(join(tmpdir(), 'kumod-prof-'));
  process.env.KUMO_KUMOD_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profDir}`;
  // KUMO_BENCH_KUMOD_LOG_LEVEL=info profiles kumod at its default level (the harness runs debug).
  const logLevel = process.env.KUMO_BENCH_KUMOD_LOG_LEVEL ?? 'debug';
  const h = await KumodHarness.start(['--cpu-overcommit', '16', '--log-level', logLevel]);
  const client = new InstancesClient(`unix://${h.socket}`, credentials.createInsecure());
  const settle =
    <R>(resolve: (r: R) => void, reject: (e: Error) => void) =>
    (e: Error | null, r: R): void =>
      e ? reject(e) : resolve(r);
  const launch = (): Promise<string> =>
    new Promise<RunInstancesResponse>((resolve, reject) =>
      client.runInstances(
        RunInstancesRequest.fromPartial({ instanceType: 't3.nano', minCount: 1, maxCount: 1 }),
        settle(resolve, reject),
      ),
    ).then((r) => r.reservation?.instances[0]?.instanceId as string);
  const statesOf = (ids: readonly string[]): Promise<string[]> =>
    new Promise<DescribeInstancesResponse>((resolve, reject) =>
      client.describeInstances(
        DescribeInstancesRequest.fromPartial({ instanceIds: [...ids] }),
        settle(resolve, reject),
      ),
    ).then((d) => d.reservations.flatMap((r) => r.instances.map((i) => i.state?.name ?? '')));
  const waitFor = async (ids: readonly string[], state: string): Promise<void> => {
    for (let n = 0; n < 3000; n++) {
      if ((await statesOf(ids)).every((s) => s === state)) return;
      await sleep(20);
    }
    throw new Error(`${ids.join(' ')} never became ${state}`);
  };
  const terminate = async (ids: readonly string[]): Promise<void> => {
    await new Promise<TerminateInstancesResponse>((resolve, reject) =>
      client.terminateInstances(
        TerminateInstancesRequest.fromPartial({ instanceIds: [...ids] }),
        settle(resolve, reject),
      ),
    );
    await waitFor(ids, 'terminated');
  };

  const windows: [number, number][] = [];
  const kumodCpu: number[] = [];
  const spawnerCpu: number[] = [];
  const wallMs: number[] = [];
  let kumod = 0;
  try {
    kumod = kumodPid(h);
    process.stderr.write(`${new Date().toISOString()} kumod up (pid ${kumod})\n`);
    // Warm-up: the VPC's host objects, the spawner, JIT.
    await terminate([await launch()]);
    const spawner = spawnerPid(kumod);
    for (let r = 0; r < rounds; r++) {
      const c0 = cpuMs(kumod);
      const s0 = cpuMs(spawner);
      const w0 = nowUs();
      const t0 = performance.now();
      const ids = await Promise.all(Array.from({ length: concurrent }, launch));
      await waitFor(ids, 'running');
      wallMs.push(performance.now() - t0);
      windows.push([w0, nowUs()]);
      kumodCpu.push((cpuMs(kumod) - c0) / concurrent);
      spawnerCpu.push((cpuMs(spawner) - s0) / concurrent);
      await terminate(ids);
      process.stderr.write(
        `${new Date().toISOString()} round ${r + 1}: ${wallMs.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    // A clean stop, so that kumod writes its profile (close() alone would SIGKILL it).
    await h.stopDaemon('SIGTERM');
  } finally {
    client.close();
    await h.close();
  }
  // kumod writes its profile as it exits (SIGTERM from the harness, then a clean exit).
  const file = readdirSync(profDir).find((f) => f.includes(`.${kumod}.`));
  if (!file) throw new Error(`kumod (pid ${kumod}) wrote no profile in ${profDir}`);
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as Profile;
  // KUMO_BENCH_PROFILE_OUT keeps the profile (e.g. for Chrome DevTools) and the launch windows.
  const keep = process.env.KUMO_BENCH_PROFILE_OUT;
  if (keep) {
    copyFileSync(join(profDir, file), `${keep}.cpuprofile`);
    writeFileSync(`${keep}.windows.json`, JSON.stringify(windows));
  }
  rmSync(profDir, { recursive: true, force: true });
  const launches = rounds * concurrent;
  const { total, byFunction, byModule, byStack } = selfTime(profile, windows);
  const perLaunch = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, Math.round((v / launches) * 100) / 100]);
  const round1 = (xs: number[]) => xs.map((x) => Math.round(x * 10) / 10);
  process.stdout.write(
    JSON.stringify(
      {
        benchmark: `launch-profile: kumod's CPU per launch (${rounds} rounds of ${concurrent} concurrent), by function`,
        launches,
        wallMsPerRound: round1(wallMs),
        kumodCpuMsPerLaunch: round1(kumodCpu),
        spawnerCpuMsPerLaunch: round1(spawnerCpu),
        medianKumodCpuMs: stats(kumodCpu).median,
        medianSpawnerCpuMs: stats(spawnerCpu).median,
        sampledMsPerLaunch: Math.round((total / launches) * 100) / 100,
        byModule: Object.fromEntries(perLaunch(byModule, 25)),
        byFunction: Object.fromEntries(perLaunch(byFunction, top)),
        byStack: Object.fromEntries(perLaunch(byStack, top)),
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`profile failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
