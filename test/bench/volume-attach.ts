/**
 * Benchmark: hot attach and detach of a 1 GiB volume on a running guest. kumo's AttachVolume and
 * DetachVolume calls (gRPC over kumod's socket, until each answers: attached, detached) next to
 * the bare QMP commands they wrap, sent to the same guest's QEMU on a second file of the same
 * size: `blockdev-add` + `device_add` to attach; `device_del`, the guest's release
 * (DEVICE_DELETED) and `blockdev-del` to detach. The difference is kumo's share: the API,
 * validation, the state writes, the ownership change, a QMP session per call.
 *
 * Runs in a throwaway network namespace like the integration tests (root).
 * Usage: npx tsx test/bench/volume-attach.ts [rounds=10]
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { execa } from 'execa';
import { chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttachVolumeRequest,
  CreateVolumeRequest,
  type CreateVolumeResponse,
  DetachVolumeRequest,
  VolumesClient,
} from '../../src/gen/kumo/v1/volumes.js';
import { QmpSession, type QmpMessage } from '../../src/host/qemu/qmp-client.js';
import { KumodHarness } from '../integration/harness/kumod-harness.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 10);
const ms2 = (x: number): number => Number(x.toFixed(2));

/** Milliseconds one unary call takes until it answers. */
function timed<Req, Res>(
  call: (req: Req, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
): Promise<{ ms: number; res: Res }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    call(req, (e, res) => (e ? reject(e) : resolve({ ms: performance.now() - t0, res })));
  });
}

/** The bare attach: what QemuGuestDisks.plug sends, on a node of the bench's own. */
async function bareAttach(qmp: string, file: string): Promise<number> {
  const t0 = performance.now();
  const s = await QmpSession.open(qmp);
  try {
    await s.execute('blockdev-add', {
      driver: 'qcow2',
      'node-name': 'bench-node',
      discard: 'unmap',
      file: { driver: 'file', filename: file },
    });
    await s.execute('device_add', {
      driver: 'virtio-blk-pci',
      id: 'bench-dev',
      drive: 'bench-node',
      serial: 'benchdisk',
    });
  } finally {
    s.close();
  }
  return performance.now() - t0;
}

/** The bare detach: device_del, wait for the guest to let go, blockdev-del. */
async function bareDetach(qmp: string): Promise<number> {
  const t0 = performance.now();
  const s = await QmpSession.open(qmp);
  try {
    let stop: (() => void) | undefined;
    const deleted = new Promise<void>((resolve) => {
      stop = s.onEvent((m: QmpMessage) => {
        const data = m.data as { device?: string } | undefined;
        if (m.event === 'DEVICE_DELETED' && data?.device === 'bench-dev') resolve();
      });
    });
    await s.execute('device_del', { id: 'bench-dev' });
    await deleted;
    stop?.();
    await s.execute('blockdev-del', { 'node-name': 'bench-node' });
  } finally {
    s.close();
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const h = await KumodHarness.start();
  try {
    // QEMU (its own user) opens hot-plugged files by path: the test dir must be searchable.
    chmodSync(h.dir, 0o711);
    const run = await h.json('run-instances', '--instance-type', 't3.nano');
    const instanceId = run.Instances[0].InstanceId as string;
    const w = await h.kumo('wait', 'instance-running', '--instance-ids', instanceId);
    if (w.exitCode !== 0) throw new Error(`instance never ran: ${w.stderr}`);
    // Let the guest's kernel come up, so it answers hot-plug (ACPI) as it will later.
    await h.kumo('wait', 'instance-status-ok', '--instance-ids', instanceId);

    const client = new VolumesClient(`unix://${h.socket}`, credentials.createInsecure());
    const { res: created } = await timed<CreateVolumeRequest, CreateVolumeResponse>(
      client.createVolume.bind(client),
      CreateVolumeRequest.fromPartial({ availabilityZone: 'kumo-local-1a', size: 1 }),
    );
    const volumeId = created.volume?.volumeId as string;
    const qmp = join(h.stateDir, 'instances', instanceId, 'qmp.sock');
    const bareFile = join(h.stateDir, 'bench-bare.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', bareFile, '1G']);
    const qemuUser = await execa('id', ['-u', 'kumo-qemu'], { reject: false });
    if (qemuUser.exitCode === 0) {
      const gid = Number((await execa('id', ['-g', 'kumo-qemu'])).stdout);
      chownSync(bareFile, Number(qemuUser.stdout), gid);
    }

    const kumoAttach = async (): Promise<number> =>
      (
        await timed(
          client.attachVolume.bind(client),
          AttachVolumeRequest.fromPartial({ volumeId, instanceId, device: '/dev/sdf' }),
        )
      ).ms;
    const kumoDetach = async (): Promise<number> =>
      (await timed(client.detachVolume.bind(client), DetachVolumeRequest.fromPartial({ volumeId })))
        .ms;

    const k = { attach: [] as number[], detach: [] as number[] };
    const b = { attach: [] as number[], detach: [] as number[] };
    // One warm-up of each; then rounds alternate which side goes first.
    await kumoAttach();
    await kumoDetach();
    await bareAttach(qmp, bareFile);
    await bareDetach(qmp);
    for (let r = 0; r < rounds; r++) {
      const kumoRound = async () => {
        k.attach.push(await kumoAttach());
        k.detach.push(await kumoDetach());
      };
      const bareRound = async () => {
        b.attach.push(await bareAttach(qmp, bareFile));
        b.detach.push(await bareDetach(qmp));
      };
      if (r % 2 === 0) {
        await kumoRound();
        await bareRound();
      } else {
        await bareRound();
        await kumoRound();
      }
      process.stderr.write(`round ${r + 1}/${rounds}\n`);
    }
    for (const what of ['attach', 'detach'] as const) {
      const kumo = stats(k[what]);
      const bare = stats(b[what]);
      console.log(
        JSON.stringify({
          benchmark: `${what}-volume of a 1 GiB volume on a running guest (until the call answers) vs bare QMP ${what === 'attach' ? 'blockdev-add + device_add' : 'device_del + DEVICE_DELETED + blockdev-del'}`,
          rounds,
          medianKumoMs: ms2(kumo.median),
          medianBareMs: ms2(bare.median),
          medianDifferenceMs: ms2(kumo.median - bare.median),
          ratio: Number((kumo.median / bare.median).toFixed(3)),
          kumoMs: k[what].map(ms2),
          bareMs: b[what].map(ms2),
        }),
      );
    }
    client.close();
  } finally {
    await h.close();
  }
}

await main();
