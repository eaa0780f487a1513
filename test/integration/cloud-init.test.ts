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
    /** One metadata request from the guest (imds-probe.py), as JSON. */
    const probe = async (...args: string[]): Promise<any> =>
      JSON.parse(await inGuest(`sudo python3 /var/tmp/imds-probe.py ${args.join(' ')}`));
    const token = async (): Promise<string> => {
      const r = await probe('put', '21600');
      expect(r.status, JSON.stringify(r)).toBe(200);
      return r.body as string;
    };
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
      const status = await inGuest('cloud-init status --wait --format json || true');
      expect(JSON.parse(status), status).toMatchObject({ status: 'done', errors: [] });
      const script = readFileSync(join(import.meta.dirname, 'guest-files/imds-probe.py'));
      await inGuest(`echo ${script.toString('base64')} | base64 -d >/var/tmp/imds-probe.py`);
    }, CLOUD_INIT_MS + 180_000);
    afterAll(async () => {
      await h?.close();
    });

    it('is identified as AWS by cloud-init itself (SMBIOS), from the EC2 datasource', async () => {
      expect((await inGuest('cloud-id')).trim()).toBe('aws');
      expect((await inGuest('sudo cloud-init query v1.cloud_name')).trim()).toBe('aws');
      expect((await inGuest('sudo cloud-init query v1.instance_id')).trim()).toBe(guest.InstanceId);
      // From the identity document.
      expect((await inGuest('sudo cloud-init query v1.region')).trim()).toBe('kumo-local-1');
      expect((await inGuest('cat /sys/class/dmi/id/sys_vendor')).trim()).toBe('Amazon EC2');
    });

    it('installed the launch key for debian, set the hostname and ran both user-data parts', async () => {
      const keys = await inGuest('cat ~/.ssh/authorized_keys');
      const pub = (await h.json('describe-key-pairs', '--key-names', 'me', '--include-public-key'))
        .KeyPairs[0].PublicKey as string;
      expect(keys).toContain(pub.trim().split(/\s+/)[1]);
      const expected = (guest.PrivateDnsName as string).split('.')[0];
      expect((await inGuest('hostname')).trim()).toBe(expected);
      expect((await inGuest('cat /var/tmp/kumo-script')).trim()).toBe('script ran as root');
      expect((await inGuest('cat /etc/kumo-cloud-config')).trim()).toBe('written by cloud-config');
      expect((await inGuest('cat /var/tmp/kumo-runcmd')).trim()).toBe('runcmd ran');
    });

    it('serves the guest its tags and its network entries', async () => {
      const t = await token();
      expect(await probe('get', '/latest/meta-data/tags/instance/Name', t)).toEqual({
        status: 200,
        body: 'cloud-init-guest',
      });
      const mac = (await probe('get', '/latest/meta-data/mac', t)).body as string;
      const nic = `/latest/meta-data/network/interfaces/macs/${mac}/`;
      expect((await probe('get', nic + 'subnet-id', t)).body).toBe(guest.SubnetId);
      expect((await probe('get', nic + 'vpc-id', t)).body).toBe(guest.VpcId);
      expect((await probe('get', nic + 'vpc-ipv4-cidr-block', t)).body).toBe('172.31.0.0/16');
      expect((await probe('get', nic + 'local-ipv4s', t)).body).toBe(guest.PrivateIpAddress);
    });

    it('answers IMDSv1 and v2 by default; refuses a forwarded token PUT; TTL is the hop limit', async () => {
      expect(await probe('get', '/latest/meta-data/instance-id')).toEqual({
        status: 200,
        body: guest.InstanceId,
      });
      expect((await probe('get', '/latest/meta-data/instance-id', await token())).body).toBe(
        guest.InstanceId,
      );
      expect((await probe('put', '60', '10.0.0.9')).status).toBe(403);
      // EC2's default hop limit is 1: the answer cannot cross one more router.
      expect((await probe('ttl')).ttls).toEqual([1]);
    });

    it('modify-instance-metadata-options: required tokens and a new hop limit, at once', async () => {
      const res = await modify('--http-tokens', 'required', '--http-put-response-hop-limit', '3');
      expect(res.InstanceMetadataOptions).toMatchObject({
        State: 'pending',
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 3,
      });
      expect(await optionsNow()).toMatchObject({ State: 'applied', HttpTokens: 'required' });
      expect((await probe('get', '/latest/meta-data/instance-id')).status).toBe(401);
      expect((await probe('get', '/latest/meta-data/instance-id', await token())).status).toBe(200);
      expect((await probe('ttl')).ttls).toEqual([3]);
    });

    it('keeps a token valid across a kumod restart (the signing key is in state)', async () => {
      const t = await token();
      await h.restartDaemon();
      const after = await eventually(
        'the metadata service answering after the restart',
        async () => {
          const r = await probe('get', '/latest/meta-data/instance-id', t);
          return r.status === 200 || r.status === 401 ? r : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(after).toEqual({ status: 200, body: guest.InstanceId });
    });

    it('HttpEndpoint=disabled: connections are refused; enabled again: answered', async () => {
      await modify('--http-endpoint', 'disabled');
      expect(await probe('get', '/latest/meta-data/instance-id')).toEqual({
        error: 'ConnectionRefusedError',
      });
      expect(await probe('put', '60')).toEqual({ error: 'ConnectionRefusedError' });
      await modify('--http-endpoint', 'enabled', '--http-tokens', 'optional');
      expect((await probe('get', '/latest/meta-data/instance-id')).status).toBe(200);
    });
  },
  [...ALL_PREREQUISITES, 'firmware-image'],
);
