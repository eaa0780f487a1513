/**
 * Benchmark: time from `kumo run-instances` to SSH-ready for the default image, next to the very
 * same QEMU command (argv read back from the running instance) started bare, on the same tap,
 * bridge, DHCP reservation and metadata service, to the same point (an SSH command succeeds).
 * The difference is what kumo adds: API, validation, disk overlay, network plumbing, QEMU spawn.
 *
 * Runs in throwaway network namespaces like the integration tests. Usage: scripts/bench [rounds]
 */
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KumodHarness } from '../integration/harness/kumod-harness.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 3);

/** Milliseconds from t0 until `ssh root@ip true` succeeds (1 s connect timeout, 100 ms retry). */
async function sshReady(
  h: KumodHarness,
  key: string,
  ip: string,
  t0: number,
  limitMs = 300_000,
): Promise<number> {
  const r = await h.ssh(key, 'root', ip, 'true', limitMs, { connectTimeoutS: 1, retryMs: 100 });
  if (r.exitCode !== 0) throw new Error(`no SSH on ${ip} after ${limitMs} ms: ${r.stderr}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const h = await KumodHarness.start();
  const kumoMs: number[] = [];
  const bareMs: number[] = [];
  try {
    const key = join(h.dir, 'bench.pem');
    writeFileSync(
      key,
      (
        await h.kumo(
          'create-key-pair',
          '--key-name',
          'bench',
          '--query',
          'KeyMaterial',
          '--output',
          'text',
        )
      ).stdout,
      { mode: 0o600 },
    );
    // SSH is let in by a group, as a user (or scripts/quickstart) would set it up.
    const groups = await h.sshGroups();
    for (let round = 0; round < rounds; round++) {
      // kumo: the whole path a user takes.
      const t0 = performance.now();
      const run = await h.json(
        'run-instances',
        '--key-name',
        'bench',
        '--security-group-ids',
        ...groups,
        '--query',
        'Instances[0]',
      );
      const id = run.InstanceId as string;
      const ip = run.PublicIpAddress as string;
      kumoMs.push(await sshReady(h, key, ip, t0));

      // Read back the exact QEMU command, then stop the instance (its tap goes, its address stays).
      const pidFile = join(h.stateDir, 'instances', id, 'qemu.pid');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const desc = await h.json(
        'describe-instances',
        '--instance-ids',
        id,
        '--query',
        'Reservations[0].Instances[0]',
      );
      const [vpcNs] = await h.vpcNamespaces();
      await h.json('stop-instances', '--instance-ids', id, '--force');
      await h.kumo('wait', 'instance-stopped', '--instance-ids', id);

      // Bare: same argv on a fresh overlay and fresh socket paths, same tap name on the same bridge.
      const tap = argv[argv.findIndex((a) => a.startsWith('tap,id=net0'))]?.match(
        /ifname=([^,]+)/,
      )?.[1] as string;
      const bridge = (
        await execa('ip', ['-n', vpcNs as string, '-o', 'link', 'show', 'type', 'bridge'])
      ).stdout.match(/\d+: (br[0-9a-f]+)/)?.[1] as string;
      const bareDir = join(h.dir, `bare-${round}`);
      await execa('mkdir', ['-p', bareDir]);
      const rootIdx = argv.findIndex((a) => a.startsWith('file=') && a.includes('-root.qcow2'));
      const base = (
        await execa('qemu-img', ['info', '--output=json', argv[rootIdx]!.split(',')[0]!.slice(5)])
      ).stdout;
      const backing = JSON.parse(base)['backing-filename'] as string;
      await execa('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        'qcow2',
        '-b',
        backing,
        join(bareDir, 'root.qcow2'),
      ]);
      const instDir = join(h.stateDir, 'instances', id);
      const bareArgv = argv
        .slice(1)
        // kumod starts QEMU paused (-S) and resumes it once confined; bare QEMU runs at once.
        .filter((a) => a !== '-S')
        .map((a) =>
          a
            .replaceAll(instDir, bareDir)
            .replace(/file=[^,]+-root\.qcow2/, `file=${join(bareDir, 'root.qcow2')}`),
        );
      await execa('ip', [
        '-n',
        vpcNs as string,
        'tuntap',
        'add',
        'dev',
        tap,
        'mode',
        'tap',
        'vnet_hdr',
      ]);
      await execa('ip', ['-n', vpcNs as string, 'link', 'set', tap, 'master', bridge, 'up']);
      const t1 = performance.now();
      const qemu = execa(
        'nsenter',
        [`--net=/run/netns/${vpcNs}`, '--', argv[0] as string, ...bareArgv],
        { reject: false },
      );
      try {
        bareMs.push(await sshReady(h, key, desc.PublicIpAddress ?? ip, t1));
      } finally {
        qemu.kill('SIGKILL');
        await qemu;
        await execa('ip', ['-n', vpcNs as string, 'link', 'del', tap], { reject: false });
      }
      await h.kumo('terminate-instances', '--instance-ids', id);
      await h.kumo('wait', 'instance-terminated', '--instance-ids', id);
      process.stderr.write(
        `round ${round + 1}: kumo ${kumoMs.at(-1)?.toFixed(0)} ms, bare QEMU ${bareMs.at(-1)?.toFixed(0)} ms\n`,
      );
    }
  } finally {
    await h.close();
  }
  const k = stats(kumoMs);
  const b = stats(bareMs);
  const result = {
    benchmark: 'run-instances to SSH-ready, default image (kumo-tiny), t3.micro, TCG',
    rounds,
    kumoMs: kumoMs.map(Math.round),
    bareQemuMs: bareMs.map(Math.round),
    medianKumoMs: Math.round(k.median),
    medianBareMs: Math.round(b.median),
    medianDifferenceMs: Math.round(k.median - b.median),
    ratio: Number((k.median / b.median).toFixed(3)),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
