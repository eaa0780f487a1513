import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KumodHarness } from './harness/kumod-harness.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * create-image and copy-image (issue 6) on real guests: a file written inside an instance is in
 * the image made of it once it is stopped, and in a copy of that image; a running instance is
 * copied with --no-reboot as it was at that moment (a later write is not in the image), and
 * without it is shut down, copied and booted again (EC2's reboot); the new images are
 * independent of the instance they came from.
 */
interface Inst {
  InstanceId: string;
  PublicIpAddress?: string;
  State: { Name: string };
}

integrationSuite('images: create-image and copy-image', () => {
  let h: KumodHarness;
  let key = '';

  const run = async (imageId?: string): Promise<Inst> =>
    (
      await h.json(
        'run-instances',
        '--key-name',
        'img',
        ...(imageId ? ['--image-id', imageId] : []),
        // The default group admits no SSH from outside (as in EC2): the test reads files by SSH.
        '--security-group-ids',
        ...(await h.sshGroups()),
      )
    ).Instances[0] as Inst;
  const describe = async (id: string): Promise<Inst> =>
    (await h.json('describe-instances', '--instance-ids', id)).Reservations[0].Instances[0] as Inst;
  const waitFor = async (id: string, state: string): Promise<void> => {
    const r = await h.kumo('wait', `instance-${state}`, '--instance-ids', id, '--timeout', '300');
    expect(r.exitCode, r.stderr).toBe(0);
  };
  const inGuest = async (i: Inst, cmd: string): Promise<string> => {
    const r = await h.ssh(key, 'root', i.PublicIpAddress as string, cmd, 120_000);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    h = await KumodHarness.start();
    // QEMU (running as its own user) writes a running guest's copy into the image store: every
    // directory above the state directory must be searchable, as /var/lib is for the default
    // /var/lib/kumo. The harness's temporary directory is 0700.
    chmodSync(h.dir, 0o711);
    key = join(h.dir, 'img.pem');
    const r = await h.kumo(
      'create-key-pair',
      '--key-name',
      'img',
      '--key-type',
      'ed25519',
      '--query',
      'KeyMaterial',
      '--output',
      'text',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    writeFileSync(key, r.stdout, { mode: 0o600 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('makes images of a running and a stopped instance with what the guest wrote, and copies one', async () => {
    const source = await run();
    await waitFor(source.InstanceId, 'running');
    const running = await describe(source.InstanceId);
    await inGuest(running, 'echo kept-by-create-image > /root/marker && sync');

    // Running, without --no-reboot: as on EC2 the guest shuts down cleanly, is copied and boots
    // again: a new boot id, same instance, same public address.
    const bootId = async () =>
      (await inGuest(running, 'cat /proc/sys/kernel/random/boot_id')).trim();
    const bootBefore = await bootId();
    const rebooted = (
      await h.json('create-image', '--instance-id', source.InstanceId, '--name', 'rebooted')
    ).ImageId as string;
    const back = await describe(source.InstanceId);
    expect(back.State.Name).toBe('running');
    expect(back.PublicIpAddress).toBe(running.PublicIpAddress);
    expect(await bootId()).not.toBe(bootBefore);

    // With --no-reboot it is copied while it runs (crash-consistent).
    const live = (
      await h.json(
        'create-image',
        '--instance-id',
        source.InstanceId,
        '--name',
        'while-running',
        '--no-reboot',
      )
    ).ImageId as string;
    // Written after the copy: must not be in the image.
    await inGuest(running, 'echo too-late > /root/after && sync');
    expect((await describe(source.InstanceId)).State.Name).toBe('running');

    await h.json('stop-instances', '--instance-ids', source.InstanceId);
    await waitFor(source.InstanceId, 'stopped');
    const dry = await h.kumo(
      'create-image',
      '--instance-id',
      source.InstanceId,
      '--name',
      'dry',
      '--dry-run',
    );
    expect(dry.stderr).toContain('DryRunOperation');
    const made = (
      await h.json(
        'create-image',
        '--instance-id',
        source.InstanceId,
        '--name',
        'from-instance',
        '--tag-specifications',
        'ResourceType=image,Tags=[{Key=made,Value=create-image}]',
      )
    ).ImageId as string;
    const copy = (
      await h.json(
        'copy-image',
        '--source-image-id',
        made,
        '--source-region',
        'kumo-local-1',
        '--name',
        'copy-of-it',
        '--copy-image-tags',
      )
    ).ImageId as string;
    const rows = (await h.json('describe-images', '--image-ids', made, copy)).Images as {
      ImageId: string;
      State: string;
      Tags?: unknown[];
    }[];
    expect(rows.map((r) => r.State)).toEqual(['available', 'available']);
    expect(rows.every((r) => JSON.stringify(r.Tags).includes('create-image'))).toBe(true);
    const badRegion = await h.kumo(
      'copy-image',
      '--source-image-id',
      made,
      '--source-region',
      'us-east-1',
      '--name',
      'elsewhere',
    );
    expect(badRegion.stderr).toContain('InvalidParameterValue');

    // The source goes away entirely: the images stand alone.
    await h.json('terminate-instances', '--instance-ids', source.InstanceId);
    await waitFor(source.InstanceId, 'terminated');
    const [fromImage, fromCopy, fromLive, fromRebooted] = await Promise.all([
      run(made),
      run(copy),
      run(live),
      run(rebooted),
    ]);
    for (const i of [fromImage, fromCopy, fromLive, fromRebooted] as Inst[]) {
      await waitFor(i.InstanceId, 'running');
      const inside = await describe(i.InstanceId);
      expect((await inGuest(inside, 'cat /root/marker')).trim()).toBe('kept-by-create-image');
      const after = await inGuest(inside, 'cat /root/after 2>/dev/null || echo absent');
      const early = i === fromLive || i === fromRebooted;
      expect(after.trim()).toBe(early ? 'absent' : 'too-late');
    }
    await h.json(
      'terminate-instances',
      '--instance-ids',
      ...[fromImage, fromCopy, fromLive, fromRebooted].map((i) => i.InstanceId),
    );
  });
});
