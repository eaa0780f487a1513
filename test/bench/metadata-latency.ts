/**
 * Benchmark: the latency of one metadata request as a guest makes it, next to a bare HTTP server
 * in the same network namespace.
 *
 * A throwaway namespace plays the VPC namespace: 169.254.169.254 on its lo, and a second address
 * there that the client sends from, standing for an instance's private IP. kumo's path is the real
 * one: the per-VPC proxy program (dist/host/network/metadata-proxy.js) in the namespace, the PROXY
 * header, kumod's unix socket endpoint (MetadataEndpoint) and the metadata service rendering the
 * instance's answer. The bare path is a Node HTTP server on 169.254.169.254:8080 in the same
 * namespace answering the same bytes. One client process in the namespace times both, each
 * request on a new TCP connection (as IMDS clients do), interleaved so drift hits both alike.
 *
 *   metadata-get:      GET /latest/meta-data/instance-id (IMDSv1)
 *   metadata-token-get: GET with an IMDSv2 token (the token check costs one HMAC)
 *
 * Usage: npx tsx test/bench/metadata-latency.ts [requests=500]   (root; needs `npm run build`)
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MetadataEndpoint } from '../../src/api/metadata-http.js';
import type { Instance } from '../../src/compute/instance.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { MetadataService } from '../../src/network/metadata-service.js';
import { createNetns, deleteNetnsWithPrefix, randomTag } from '../integration/harness/netns.js';
import { stats } from './stats.js';

const requests = Number(process.argv[2] ?? 500);
const ms2 = (x: number): number => Number(x.toFixed(3));
const GUEST_IP = '10.99.0.5';
const INSTANCE: Instance = {
  id: 'i-0123456789abcdef0',
  reservationId: 'r-0123456789abcdef0',
  imageId: 'ami-0123456789abcdef0',
  instanceType: 't3.micro',
  state: 'running',
  stateTransitionReason: '',
  launchTime: new Date(),
  tags: [],
  launchIndex: 0,
  network: {
    id: 'eni-0123456789abcdef0',
    instanceId: 'i-0123456789abcdef0',
    vpcId: 'vpc-bench',
    subnetId: 'subnet-bench',
    privateIp: GUEST_IP,
    mac: '52:54:00:ab:cd:ef',
  },
};

/** The client: runs in the namespace, times `n` requests to each target, prints JSON. */
const CLIENT = `
const http = require('node:http');
const [n, token] = [Number(process.argv[1]), process.argv[2]];
const get = (port, headers) => new Promise((ok, fail) => {
  const t0 = process.hrtime.bigint();
  const req = http.get({ host: '169.254.169.254', port, path: '/latest/meta-data/instance-id',
    localAddress: '${GUEST_IP}', agent: false, headers }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => res.statusCode === 200 ? ok(Number(process.hrtime.bigint() - t0) / 1e6)
      : fail(new Error(port + ': ' + res.statusCode + ' ' + body)));
  });
  req.on('error', fail);
});
(async () => {
  const out = { kumo: [], bare: [], kumoToken: [], bareToken: [] };
  const h = { 'x-aws-ec2-metadata-token': token };
  for (let i = 0; i < 50; i++) { await get(80, {}); await get(8080, {}); }
  for (let i = 0; i < n; i++) {
    out.kumo.push(await get(80, {}));
    out.bare.push(await get(8080, {}));
    out.kumoToken.push(await get(80, h));
    out.bareToken.push(await get(8080, h));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const BARE_SERVER = `require('node:http').createServer((q, s) => {
  s.writeHead(200, { 'Content-Type': 'text/plain', Server: 'bare' });
  s.end('${INSTANCE.id}');
}).listen(8080, '169.254.169.254', () => console.log('listening'));`;

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const prefix = `kb${randomTag()}`;
  const ns = `${prefix}-vpc`;
  const dir = mkdtempSync(join(tmpdir(), 'kumo-bench-imds-'));
  const socket = join(dir, 'metadata.sock');
  const service = new MetadataService(
    { byPrivateIp: (vpc, ip) => (vpc === 'vpc-bench' && ip === GUEST_IP ? INSTANCE : undefined) },
    { domain: 'kumo.internal', region: 'kumo-local-1' },
    systemClock,
  );
  const endpoint = new MetadataEndpoint('vpc-bench', service, silentLogger);
  const children: ReturnType<typeof execa>[] = [];
  try {
    await createNetns(ns);
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await execa('ip', ['-n', ns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    await execa('ip', ['-n', ns, 'addr', 'add', `${GUEST_IP}/32`, 'dev', 'lo']);
    await endpoint.listen(socket);
    const inNs = (args: string[]) =>
      execa('ip', ['netns', 'exec', ns, process.execPath, ...args], { reject: false });
    children.push(
      inNs([
        resolve('dist/host/network/metadata-proxy.js'),
        '--listen',
        '169.254.169.254:80',
        '--socket',
        socket,
      ]),
      inNs(['-e', BARE_SERVER]),
    );
    const listening = async (port: number) =>
      (
        await execa('ip', ['netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`])
      ).stdout.trim() !== '';
    await waitFor('the proxy and the bare server', async () =>
      (await Promise.all([listening(80), listening(8080)])).every(Boolean),
    );
    const token = service.handle('vpc-bench', GUEST_IP, {
      method: 'PUT',
      path: '/latest/api/token',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
    }).body as string;
    const r = await execa('ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      '-e',
      CLIENT,
      String(requests),
      token,
    ]);
    const out = JSON.parse(r.stdout) as Record<
      'kumo' | 'bare' | 'kumoToken' | 'bareToken',
      number[]
    >;
    const report = (benchmark: string, kumo: number[], bare: number[]) => {
      const k = stats(kumo);
      const b = stats(bare);
      process.stdout.write(
        JSON.stringify({
          benchmark,
          requests,
          medianKumoMs: ms2(k.median),
          medianBareMs: ms2(b.median),
          medianDifferenceMs: ms2(k.median - b.median),
          ratio: Number((k.median / b.median).toFixed(2)),
          p99KumoMs: ms2(k.p99),
          p99BareMs: ms2(b.p99),
        }) + '\n',
      );
    };
    report('metadata-get', out.kumo, out.bare);
    report('metadata-token-get', out.kumoToken, out.bareToken);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.allSettled(children);
    endpoint.close();
    await deleteNetnsWithPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
