import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, KumodHarness } from './harness/kumod-harness.js';
import {
  ALL_PREREQUISITES,
  FIRMWARE_IMAGE_DIR,
  integrationSuite,
} from './harness/prerequisites.js';

/**
 * Stock cloud-init against kumo's metadata service, and the IMDS options seen from inside a guest.
 * One Debian 12 guest (images/kumo-debian: Debian's own cloud-init, nothing kumo-specific) is
 * launched once with a key, tags and MIME multipart user-data (a shell script and a #cloud-config);
 * cloud-init must find the EC2 datasource by itself (SMBIOS), install the key for `debian`, set
 * the hostname and run both parts. The IMDS tests then talk to 169.254.169.254 from the guest
 * (python3, which cloud-init brings) while modify-instance-metadata-options changes the options.
 * Under TCG, cloud-init needs a few minutes: the guest is shared, the checks are quick.
 */
const CLOUD_INIT_MS = 420_000;
type Inst = any;

const BOUNDARY = '==kumo-boundary==';
const USER_DATA = [
  'Content-Type: multipart/mixed; boundary="' + BOUNDARY + '"',
  'MIME-Version: 1.0',
  '',
  '--' + BOUNDARY,
  'Content-Type: text/x-shellscript; charset="us-ascii"',
  '',
  '#!/bin/sh',
  'echo "script ran as $(id -un)" >/var/tmp/kumo-script',
  '',
  '--' + BOUNDARY,
  'Content-Type: text/cloud-config; charset="us-ascii"',
  '',
  '#cloud-config',
  // The image is Debian minbase without the locales package, so update-locale fails and
  // cloud-init reports an error that has nothing to do with kumo; Debian's cloud images have it.
  'locale: false',
  'write_files:',
  '  - path: /etc/kumo-cloud-config',
  '    content: written by cloud-config',
  'runcmd:',
  '  - [sh, -c, "echo runcmd ran >/var/tmp/kumo-runcmd"]',
  '',
  '--' + BOUNDARY + '--',
  '',
].join('\n');

integrationSuite(
  'stock cloud-init and the IMDS options on a real guest',
  () => {
    let h: KumodHarness;
    let key: string;
    let guest: Inst;

    const inGuest = async (cmd: string, untilMs = 0): Promise<string> => {
      const r = await h.ssh(key, 'debian', guest.PublicIpAddress, cmd, untilMs);
      expect(r.exitCode, `${cmd}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    /** A batch of metadata requests from the guest (one imds-probe.py run), as JSON. */
    type Step =
      | { op: 'get'; path: string; token?: string }
      | { op: 'put'; ttl?: string; forwarded?: string }
      | { op: 'ttl' };
    const probe = async (...steps: Step[]): Promise<any[]> => {
      const arg = Buffer.from(JSON.stringify(steps)).toString('base64');
      // Root only for the raw socket: sudo also looks the hostname up, and this VPC has no DNS
      // server yet, so every sudo waits for a resolver timeout.
      const sudo = steps.some((s) => s.op === 'ttl') ? 'sudo ' : '';
      return JSON.parse(await inGuest(`${sudo}python3 /var/tmp/imds-probe.py ${arg}`));
    };
    const ID = '/latest/meta-data/instance-id';
    const modify = (...args: string[]) =>
      h.json('modify-instance-metadata-options', '--instance-id', guest.InstanceId, ...args);
    const optionsNow = async () =>
      (await h.json('describe-instances', '--instance-ids', guest.InstanceId)).Reservations[0]
        .Instances[0].MetadataOptions;

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
      const userData = join(h.dir, 'user-data.mime');
      writeFileSync(userData, USER_DATA);
      const image = (
        await h.json(
          'register-image',
          '--name',
          'debian-cloud-init',
          '--image-location',
          join(FIRMWARE_IMAGE_DIR, 'disk.qcow2'),
          '--boot-mode',
          'legacy-bios',
        )
      ).ImageId as string;
      const groups = await h.sshGroups();
      const res = await h.json(
        'run-instances',
        '--image-id',
        image,
        '--key-name',
        'me',
        '--security-group-ids',
        ...groups,
        '--user-data',
        `file://${userData}`,
        '--tag-specifications',
        'ResourceType=instance,Tags=[{Key=Name,Value=cloud-init-guest}]',
        '--metadata-options',
        'InstanceMetadataTags=enabled',
      );
      const id = res.Instances[0].InstanceId as string;
      guest = await eventually(
        'the guest running',
        async () => {
          const i = (await h.json('describe-instances', '--instance-ids', id)).Reservations[0]
            .Instances[0];
          return i.State.Name === 'running' ? i : undefined;
        },
        { timeoutMs: 120_000 },
      );
      // SSH as the image's default user with the launch key: cloud-init put it there.
      await inGuest('true', CLOUD_INIT_MS);
      // `|| true`: only a failed SSH transport exits non-zero, and it is retried. Seen once on a
      // loaded host: the session that waits for cloud-init's last stage was closed (exit 255, no
      // message) while the guest finished booting; a new session then reads the final status.
      const status = await inGuest('cloud-init status --wait --format json || true', 300_000);
      expect(JSON.parse(status), status).toMatchObject({ status: 'done', errors: [] });
      const script = readFileSync(join(import.meta.dirname, 'guest-files/imds-probe.py'));
      await inGuest(`echo ${script.toString('base64')} | base64 -d >/var/tmp/imds-probe.py`);
    }, CLOUD_INIT_MS + 360_000);
    afterAll(async () => {
      await h?.close();
    });

    it('is identified as AWS by cloud-init itself (SMBIOS), from the EC2 datasource', async () => {
      const [cloudId, vendor, ...query] =
        // instance-data.json is what `cloud-init query` reads (its world-readable part).
        (
          await inGuest(
            'cloud-id; cat /sys/class/dmi/id/sys_vendor; cat /run/cloud-init/instance-data.json',
          )
        ).split('\n');
      expect(cloudId).toBe('aws');
      expect(vendor).toBe('Amazon EC2');
      const all = JSON.parse(query.join('\n'));
      expect(all.v1).toMatchObject({
        cloud_name: 'aws',
        platform: 'ec2',
        instance_id: guest.InstanceId,
        // From the identity document.
        region: 'kumo-local-1',
        availability_zone: 'kumo-local-1a',
      });
    });

    it('installed the launch key for debian, set the hostname and ran both user-data parts', async () => {
      const [keys, hostname, script, written, runcmd] = (
        await inGuest(
          'cat ~/.ssh/authorized_keys; echo @@; hostname; echo @@; cat /var/tmp/kumo-script; echo @@; cat /etc/kumo-cloud-config; echo @@; cat /var/tmp/kumo-runcmd',
        )
      )
        .split('@@')
        .map((x) => x.trim());
      const pub = (await h.json('describe-key-pairs', '--key-names', 'me', '--include-public-key'))
        .KeyPairs[0].PublicKey as string;
      expect(keys).toContain(pub.trim().split(/\s+/)[1]);
      expect(hostname).toBe((guest.PrivateDnsName as string).split('.')[0]);
      expect(script).toBe('script ran as root');
      expect(written).toBe('written by cloud-config');
      expect(runcmd).toBe('runcmd ran');
    });

    it('serves the guest its tags and its network entries', async () => {
      const nic = `/latest/meta-data/network/interfaces/macs/${(guest.NetworkInterfaces[0].MacAddress as string).toLowerCase()}/`;
      const [, tag, subnet, vpc, cidr, ips] = await probe(
        { op: 'put' },
        { op: 'get', path: '/latest/meta-data/tags/instance/Name', token: 'last' },
        { op: 'get', path: nic + 'subnet-id', token: 'last' },
        { op: 'get', path: nic + 'vpc-id', token: 'last' },
        { op: 'get', path: nic + 'vpc-ipv4-cidr-block', token: 'last' },
        { op: 'get', path: nic + 'local-ipv4s', token: 'last' },
      );
      expect(tag).toEqual({ status: 200, body: 'cloud-init-guest' });
      expect(subnet.body).toBe(guest.SubnetId);
      expect(vpc.body).toBe(guest.VpcId);
      expect(cidr.body).toBe('172.31.0.0/16');
      expect(ips.body).toBe(guest.PrivateIpAddress);
    });

    it('answers IMDSv1 and v2 by default; refuses a forwarded token PUT; TTL is the hop limit', async () => {
      const [v1, put, v2, forwarded, ttl] = await probe(
        { op: 'get', path: ID },
        { op: 'put', ttl: '60' },
        { op: 'get', path: ID, token: 'last' },
        { op: 'put', ttl: '60', forwarded: '10.0.0.9' },
        { op: 'ttl' },
      );
      expect(v1).toEqual({ status: 200, body: guest.InstanceId });
      expect(put.status).toBe(200);
      expect(v2).toEqual({ status: 200, body: guest.InstanceId });
      expect(forwarded.status).toBe(403);
      // EC2's default hop limit is 1: the answer cannot cross one more router.
      expect(ttl.ttls).toEqual([1]);
    });

    it('modify-instance-metadata-options: required tokens and a new hop limit, at once', async () => {
      const res = await modify('--http-tokens', 'required', '--http-put-response-hop-limit', '3');
      expect(res.InstanceMetadataOptions).toMatchObject({
        State: 'pending',
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 3,
      });
      expect(await optionsNow()).toMatchObject({ State: 'applied', HttpTokens: 'required' });
      const [v1, , v2, ttl] = await probe(
        { op: 'get', path: ID },
        { op: 'put' },
        { op: 'get', path: ID, token: 'last' },
        { op: 'ttl' },
      );
      expect(v1.status).toBe(401);
      expect(v2).toEqual({ status: 200, body: guest.InstanceId });
      expect(ttl.ttls).toEqual([3]);
    });

    it('keeps a token valid across a kumod restart (the signing key is in state)', async () => {
      const [put] = await probe({ op: 'put' });
      expect(put.status).toBe(200);
      await h.restartDaemon();
      const [after] = await eventually(
        'the metadata service answering after the restart',
        async () => {
          const r = await probe({ op: 'get', path: ID, token: put.body });
          return r[0].status === 200 || r[0].status === 401 ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(after).toEqual({ status: 200, body: guest.InstanceId });
    });

    it('HttpEndpoint=disabled: connections are refused; enabled again: answered', async () => {
      await modify('--http-endpoint', 'disabled');
      const [get, put] = await probe({ op: 'get', path: ID }, { op: 'put' });
      expect(get).toEqual({ error: 'ConnectionRefusedError' });
      expect(put).toEqual({ error: 'ConnectionRefusedError' });
      await modify('--http-endpoint', 'enabled', '--http-tokens', 'optional');
      expect((await probe({ op: 'get', path: ID }))[0].status).toBe(200);
    });
  },
  [...ALL_PREREQUISITES, 'firmware-image'],
);
