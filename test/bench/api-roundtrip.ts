/**
 * Benchmark: the gRPC round trip of a cheap kumod RPC (DescribeHost, through the generated ts-proto
 * client, over kumod's unix socket) next to a bare grpc-js echo server answering a trivially small
 * unary call on a unix socket. Both servers are separate plain Node processes and both clients live
 * in this process with default channel options, so the difference is what kumod adds per call:
 * protobuf encode/decode of real messages, the handler wrapper and the handler itself.
 * Calls are sequential (one in flight) and the two sides alternate in blocks, so drift over the run
 * (GC, CPU frequency, the reconciler loop) lands on both.
 *
 * Optionally also the wall time of the `kumo describe-host` CLI process next to `node -e ''`
 * (the cost of starting Node at all).
 *
 * kumod runs in a throwaway network namespace (KumodHarness) like the integration tests.
 * Usage: npx tsx test/bench/api-roundtrip.ts [calls=2000] [cliRounds=10]
 */
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HostClient } from '../../src/gen/kumo/v1/host.js';
import { KumodHarness } from '../integration/harness/kumod-harness.js';
import { stats } from './stats.js';

const calls = Number(process.argv[2] ?? 2000);
const cliRounds = Number(process.argv[3] ?? 10);
const WARMUP = 200;
const BLOCK = 100;
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The bare side: a plain Node process with nothing but grpc-js loaded, echoing raw bytes (no
 * protobuf). Run with `node -e` from the repository root so `require` finds node_modules.
 */
const ECHO_SERVER_JS = `
const grpc = require('@grpc/grpc-js');
const id = (b) => b;
const server = new grpc.Server();
server.addService(
  { echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false,
            requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
  { echo: (call, cb) => cb(null, call.request) },
);
server.bindAsync('unix://' + process.argv[1], grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write('ready\\n');
});
`;

const id = (b: Buffer): Buffer => b;
const EchoClient = makeGenericClientConstructor(
  {
    echo: {
      path: '/bench.Echo/Echo',
      requestStream: false,
      responseStream: false,
      requestSerialize: id,
      requestDeserialize: id,
      responseSerialize: id,
      responseDeserialize: id,
    },
  },
  'bench.Echo',
);

type UnaryCb = (err: ServiceError | null, res: unknown) => void;

/** One awaited unary call, in microseconds. */
async function timeCall(call: (cb: UnaryCb) => void): Promise<number> {
  const t0 = process.hrtime.bigint();
  await new Promise<void>((res, rej) => call((err) => (err ? rej(err) : res())));
  return Number(process.hrtime.bigint() - t0) / 1000;
}

async function startEchoServer(socket: string) {
  const child = execa(process.execPath, ['-e', ECHO_SERVER_JS, socket], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'inherit',
    reject: false,
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('echo server did not start in 10 s')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        res();
      }
    });
    void child.then((r) => rej(new Error(`echo server exited (${r.exitCode})`)));
  });
  // Wrapped: returning the execa child itself from an async function would await its exit.
  return { child };
}

/** Wall time of one process from spawn to exit, in milliseconds; it must succeed. */
async function timeProcess(args: string[], env: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const r = await execa(process.execPath, args, { env, reject: false });
  if (r.exitCode !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}

const round1 = (x: number): number => Number(x.toFixed(1));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-bench-grpc-'));
  const echoSocket = join(dir, 'echo.sock');
  const { child: echo } = await startEchoServer(echoSocket);
  let h: KumodHarness | undefined;
  const kumoUs: number[] = [];
  const bareUs: number[] = [];
  const cliMs: number[] = [];
  const nodeMs: number[] = [];
  try {
    h = await KumodHarness.start();
    const host = new HostClient(`unix://${h.socket}`, credentials.createInsecure());
    const bare = new EchoClient(`unix://${echoSocket}`, credentials.createInsecure());
    const payload = Buffer.from('ping');
    const kumoCall = (cb: UnaryCb) => host.describeHost({}, cb);
    const bareCall = (cb: UnaryCb) =>
      (bare as unknown as { echo: (req: Buffer, cb: UnaryCb) => void }).echo(payload, cb);
    try {
      // Warm-up: connect both channels, let V8 optimise both paths.
      for (let i = 0; i < WARMUP; i++) {
        await timeCall(kumoCall);
        await timeCall(bareCall);
      }
      for (let done = 0, block = 0; done < calls; done += BLOCK, block++) {
        const n = Math.min(BLOCK, calls - done);
        const order =
          block % 2 === 0 ? ([kumoCall, bareCall] as const) : ([bareCall, kumoCall] as const);
        for (const call of order) {
          const into = call === kumoCall ? kumoUs : bareUs;
          for (let i = 0; i < n; i++) into.push(await timeCall(call));
        }
      }
    } finally {
      host.close();
      bare.close();
    }
    process.stderr.write(`rpc: ${calls} calls each done\n`);

    // CLI: a whole `kumo describe-host` process next to a Node process that does nothing.
    const env = { KUMO_ENDPOINT: `unix://${h.socket}`, HOME: h.dir };
    const cli = [join(ROOT, 'bin/kumo.js'), 'describe-host'];
    if (cliRounds > 0) {
      await timeProcess(cli, env);
      await timeProcess(['-e', '']);
    }
    for (let round = 0; round < cliRounds; round++) {
      cliMs.push(await timeProcess(cli, env));
      nodeMs.push(await timeProcess(['-e', '']));
    }
  } finally {
    await h?.close();
    echo.kill('SIGTERM');
    await echo;
    rmSync(dir, { recursive: true, force: true });
  }
  const k = stats(kumoUs);
  const b = stats(bareUs);
  const result: Record<string, unknown> = {
    benchmark:
      'gRPC unary round trip over a unix socket: kumod DescribeHost (ts-proto client) vs bare grpc-js echo',
    calls,
    warmupCalls: WARMUP,
    kumoDescribeHostUs: { median: round1(k.median), p99: round1(k.p99), min: round1(k.min) },
    bareEchoUs: { median: round1(b.median), p99: round1(b.p99), min: round1(b.min) },
    medianDifferenceUs: round1(k.median - b.median),
    ratio: Number((k.median / b.median).toFixed(3)),
  };
  if (cliRounds > 0) {
    const c = stats(cliMs);
    const n = stats(nodeMs);
    result.cli = {
      benchmark: "`kumo describe-host` process wall time vs `node -e ''`",
      rounds: cliRounds,
      kumoMs: cliMs.map(Math.round),
      nodeMs: nodeMs.map(Math.round),
      medianKumoMs: Math.round(c.median),
      medianNodeMs: Math.round(n.median),
      medianDifferenceMs: Math.round(c.median - n.median),
      ratio: Number((c.median / n.median).toFixed(3)),
    };
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
