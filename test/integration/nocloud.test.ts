import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import {
  ALL_PREREQUISITES,
  FIRMWARE_IMAGE_DIR,
  integrationSuite,
} from './harness/prerequisites.js';

/**
 * run-instances --cloud-init-seed nocloud on a real guest that has no network metadata: one
 * Debian 12 guest (images/kumo-debian, Debian's own cloud-init) launched with the seed and
 * HttpEndpoint=disabled. Cloud-init must pick NoCloud from the cidata disk by itself, install
 * the key for `debian`, set the hostname from meta-data and run the user data; a stop/start keeps
 * the instance id, so the user data does not run again. One guest for the whole file: under TCG
 * its first boot takes a few minutes.
 */
const CLOUD_INIT_MS = 420_000;
type Inst = any;

// runcmd appends: a second run would leave two lines. locale: false because the minbase image has
// no locales package (cloud-init would report an error that has nothing to do with the seed).
const USER_DATA = [
  '#cloud-config',
  'locale: false',
  'runcmd:',
  '  - [sh, -c, "echo ran >>/var/tmp/nocloud-runs"]',
  '',
].join('\n');

integrationSuite(
  'NoCloud seed on a real guest without network metadata',
  () => {
    let h: KumodHarness;
    let key: string;
    let guest: Inst;

    const describeGuest = async (): Promise<Inst> =>
      (await h.json('describe-instances', '--instance-ids', guest.InstanceId)).Reservations[0]
        .Instances[0];
    const waitFor = (state: string, timeoutMs: number): Promise<Inst> =>
      eventually(
        `the guest ${state}`,
        async () => {
          const i = await describeGuest();
          return i.State.Name === state ? i : undefined;
        },
        { timeoutMs },
      );
    const ssh = (cmd: string, untilMs = 0) =>
      h.ssh(key, 'debian', guest.PublicIpAddress, cmd, untilMs);
    const inGuest = async (cmd: string, untilMs = 0): Promise<string> => {
      const r = await ssh(cmd, untilMs);
      expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    /** Waits for SSH (cloud-init installed the key), then for cloud-init to finish cleanly. */
    const cloudInitDone = async (): Promise<void> => {
      await inGuest('true', CLOUD_INIT_MS);
      const status = await inGuest('cloud-init status --wait --format json || true');
      expect(JSON.parse(status), status).toMatchObject({ status: 'done', errors: [] });
    };
    const seedFile = () => join(h.stateDir, 'instances', guest.InstanceId, 'cidata.iso');

    beforeAll(async () => {
      h = await KumodHarness.start();
      key = join(h.dir, 'me.pem');
      const k = await h.kumo(
        'create-key-pair',
        '--key-name',
        'me',
        '--key-type',
        'ed25519',
        '--query',
        'KeyMaterial',
        '--output',
        'text',
      );
      writeFileSync(key, k.stdout, { mode: 0o600 });
      const userData = join(h.dir, 'user-data');
      writeFileSync(userData, USER_DATA);
      const image = (
        await h.json(
          'register-image',
          '--name',
          'debian-nocloud',
          '--image-location',
          join(FIRMWARE_IMAGE_DIR, 'disk.qcow2'),
          '--boot-mode',
          'legacy-bios',
        )
      ).ImageId as string;
      const res = await h.json(
        'run-instances',
        '--image-id',
        image,
        '--key-name',
        'me',
        '--security-group-ids',
        ...(await h.sshGroups()),
        '--user-data',
        `file://${userData}`,
        '--metadata-options',
        'HttpEndpoint=disabled',
        '--cloud-init-seed',
        'nocloud',
      );
      guest = res.Instances[0];
      expect(guest.CloudInitSeed).toBe('nocloud');
      guest = await waitFor('running', 120_000);
      await cloudInitDone();
    }, CLOUD_INIT_MS + 180_000);
    afterAll(async () => {
      await h?.close();
    });

    it('describes the seed and the disabled endpoint; the seed image is in the instance files', () => {
      expect(guest.CloudInitSeed).toBe('nocloud');
      expect(guest.MetadataOptions.HttpEndpoint).toBe('disabled');
      expect(existsSync(seedFile())).toBe(true);
    });

    it('cloud-init used NoCloud from the read-only cidata disk; the metadata endpoint refuses the guest', async () => {
      const [cloudId, byLabel, bySerial, readOnly, instanceId, imds] = (
        await inGuest(
          'cloud-id; echo @@; d=$(readlink -f /dev/disk/by-label/cidata); echo $d; echo @@; ' +
            'readlink -f /dev/disk/by-id/virtio-cidata; echo @@; cat /sys/class/block/${d#/dev/}/ro; ' +
            'echo @@; cat /var/lib/cloud/data/instance-id; echo @@; ' +
            'python3 -c "import socket; socket.create_connection((\'169.254.169.254\', 80), 5)" 2>&1 | tail -n1 || true',
        )
      )
        .split('@@')
        .map((x) => x.trim());
      expect(cloudId).toBe('nocloud');
      // The file system labelled cidata is the disk kumo attached (its serial), read-only.
      expect(byLabel).toMatch(/^\/dev\/vd[b-z]$/);
      expect(bySerial).toBe(byLabel);
      expect(readOnly).toBe('1');
      expect(instanceId).toBe(guest.InstanceId);
      expect(imds).toMatch(/ConnectionRefusedError/);
    });

    it('installed the launch key for debian, set the hostname from meta-data, ran the user data once', async () => {
      const [keys, hostname, runs] = (
        await inGuest(
          'cat ~/.ssh/authorized_keys; echo @@; hostname; echo @@; cat /var/tmp/nocloud-runs',
        )
      )
        .split('@@')
        .map((x) => x.trim());
      const pub = (await h.json('describe-key-pairs', '--key-names', 'me', '--include-public-key'))
        .KeyPairs[0].PublicKey as string;
      expect(keys).toContain(pub.trim().split(/\s+/)[1]);
      expect(hostname).toBe((guest.PrivateDnsName as string).split('.')[0]);
      expect(runs).toBe('ran');
    });

    it('after stop/start: the same instance id, the user data not run again, the new public IP reachable', async () => {
      const bootId = await inGuest('cat /proc/sys/kernel/random/boot_id');
      await h.json('stop-instances', '--instance-ids', guest.InstanceId);
      await waitFor('stopped', 120_000);
      // A stop keeps the seed with the instance; the start writes it again.
      expect(existsSync(seedFile())).toBe(true);
      await h.json('start-instances', '--instance-ids', guest.InstanceId);
      guest = await waitFor('running', 120_000);
      await cloudInitDone();
      const [newBoot, instanceId, runs, cloudId] = (
        await inGuest(
          'cat /proc/sys/kernel/random/boot_id; echo @@; cat /var/lib/cloud/data/instance-id; ' +
            'echo @@; cat /var/tmp/nocloud-runs; echo @@; cloud-id',
        )
      )
        .split('@@')
        .map((x) => x.trim());
      expect(newBoot).not.toBe(bootId);
      expect(instanceId).toBe(guest.InstanceId);
      expect(runs).toBe('ran');
      expect(cloudId).toBe('nocloud');
    });

    it('terminate removes the seed image', async () => {
      await h.json('terminate-instances', '--instance-ids', guest.InstanceId);
      await waitFor('terminated', 120_000);
      expect(existsSync(seedFile())).toBe(false);
    });
  },
  [...ALL_PREREQUISITES, 'firmware-image', 'xorriso'],
);
