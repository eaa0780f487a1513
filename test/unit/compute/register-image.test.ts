import { describe, expect, it } from 'vitest';
import { copyImage, createImage } from '../../../src/compute/create-image.js';
import { deregisterImage } from '../../../src/compute/deregister-image.js';
import { collectImages, instanceRootDisks } from '../../../src/compute/image-dependants.js';
import type { UploadChunk } from '../../../src/compute/image-files.js';
import {
  abandonPendingImages,
  registerImage,
  validateRegistration,
  type ImageRegistrationInput,
} from '../../../src/compute/register-image.js';
import { KumoError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { fakeComputeDeps, TINY_IMAGE } from '../../fakes/compute-deps.js';
import { FakeImageFiles } from '../../fakes/fake-image-files.js';

async function* chunks(bytes: number): AsyncIterable<UploadChunk> {
  yield await Promise.resolve({ part: 'disk' as const, data: new Uint8Array(bytes) });
}

const input = (over: Partial<ImageRegistrationInput> = {}): ImageRegistrationInput => ({
  name: 'debian-12',
  sizes: { disk: 4096, kernel: 0, ramdisk: 0 },
  ...over,
});

function setup() {
  const deps = fakeComputeDeps();
  const files = new FakeImageFiles(deps.images);
  const reg = { images: deps.images, imageFiles: files, clock: deps.clock, logger: silentLogger };
  const signal = new AbortController().signal;
  return { deps, files, reg, signal };
}

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof KumoError ? e.code : String(e)),
  );

describe('validateRegistration', () => {
  it('defaults to legacy-bios firmware boot without a kernel, and to kernel boot with one', () => {
    expect(validateRegistration(input()).bootMode).toBe('legacy-bios');
    expect(
      validateRegistration(input({ sizes: { disk: 1, kernel: 5, ramdisk: 5 } })).bootMode,
    ).toBeUndefined();
  });

  it('refuses bad names, architectures, devices, boot modes and combinations with their EC2 codes', () => {
    const code = (o: Partial<ImageRegistrationInput>): string => {
      try {
        validateRegistration(input(o));
        return 'ok';
      } catch (e) {
        return (e as KumoError).code;
      }
    };
    expect(code({ name: 'x' })).toBe('InvalidParameterValue');
    expect(code({ architecture: 'arm64' })).toBe('InvalidParameterValue');
    expect(code({ rootDeviceName: 'sda' })).toBe('InvalidParameterValue');
    expect(code({ bootMode: 'uefi-preferred' })).toBe('InvalidParameterValue');
    expect(code({ bootMode: 'uefi', sizes: { disk: 1, kernel: 1, ramdisk: 0 } })).toBe(
      'InvalidParameterCombination',
    );
    expect(code({ sizes: { disk: 1, kernel: 0, ramdisk: 1 } })).toBe('InvalidParameterCombination');
    expect(code({ kernelCmdline: 'quiet' })).toBe('InvalidParameterCombination');
    expect(code({ sizes: { disk: 0, kernel: 0, ramdisk: 0 } })).toBe('InvalidParameterValue');
    expect(code({ tagSpecifications: [{ resourceType: 'instance', tags: [] }] })).toBe(
      'InvalidParameterValue',
    );
  });
});

describe('registerImage', () => {
  it('is pending while the disk is stored, then available, with the staging area gone', async () => {
    const { files, reg, signal, deps } = setup();
    const image = await registerImage(reg, input({ bootMode: 'uefi' }), chunks(4096), signal);
    expect(files.seenPending.map((i) => i.state)).toEqual(['pending']);
    expect(deps.images.get(image.id)).toMatchObject({ state: 'available', bootMode: 'uefi' });
    expect(files.stored.has(image.id)).toBe(true);
    expect(files.staged.size).toBe(0);
  });

  it('checks free space first and names the numbers (InsufficientVolumeCapacity)', async () => {
    const { files, reg, signal } = setup();
    files.free = 512 * 1024 ** 2;
    const err = await registerImage(reg, input(), chunks(4096), signal).catch((e: KumoError) => e);
    expect((err as KumoError).code).toBe('InsufficientVolumeCapacity');
    expect((err as KumoError).message).toMatch(/needs \d+ MiB free .* 512 MiB is free/);
    expect(files.staged.size).toBe(0);
  });

  it('leaves no row, staging or file behind when the file is refused, short, or conversion fails', async () => {
    for (const fail of ['inspect', 'short', 'store'] as const) {
      const { files, reg, signal, deps } = setup();
      const before = deps.images.list().length;
      if (fail === 'inspect') files.failInspect = 'not a disk image';
      if (fail === 'store') files.failStore = true;
      const p = registerImage(reg, input(), chunks(fail === 'short' ? 100 : 4096), signal);
      expect(await codeOf(p)).not.toBe('resolved');
      expect(deps.images.list().length).toBe(before);
      expect(files.staged.size).toBe(0);
      expect(files.stored.size).toBe(0);
    }
  });

  it('answers DryRunOperation without reading or writing anything', async () => {
    const { files, reg, signal } = setup();
    expect(await codeOf(registerImage(reg, input({ dryRun: true }), chunks(4096), signal))).toBe(
      'DryRunOperation',
    );
    expect(files.received).toEqual({});
  });

  it('undoes registrations a stopped kumod left pending', async () => {
    const { files, reg, deps } = setup();
    deps.images.put({ ...TINY_IMAGE, id: 'ami-0000000000000000a', state: 'pending' });
    files.stored.add('ami-0000000000000000a');
    await abandonPendingImages(reg);
    expect(deps.images.get('ami-0000000000000000a')).toBeUndefined();
    expect(files.stored.size).toBe(0);
  });
});

describe('deregisterImage', () => {
  it('hides an image at once but keeps its file while an instance root disk needs it', async () => {
    const { files, reg, signal, deps } = setup();
    const image = await registerImage(reg, input(), chunks(4096), signal);
    const collector = {
      images: deps.images,
      imageFiles: files,
      dependants: [instanceRootDisks(deps.instances)],
      logger: silentLogger,
    };
    const instance = {
      ...(deps.instances.list()[0] ?? {}),
      id: 'i-0000000000000000a',
      imageId: image.id,
      rootDisk: '/volumes/i-0000000000000000a-root.qcow2',
    } as Parameters<typeof deps.instances.put>[0];
    deps.instances.put(instance);
    await deregisterImage(collector, image.id);
    expect(deps.images.get(image.id)?.state).toBe('deregistered');
    expect(files.stored.has(image.id)).toBe(true);
    expect(await codeOf(deregisterImage(collector, image.id))).toBe('InvalidAMIID.NotFound');
    // The instance is terminated (its root disk gone): the next collection deletes the image.
    deps.instances.put({ ...instance, rootDisk: undefined, state: 'terminated' });
    await collectImages(collector);
    expect(deps.images.get(image.id)).toBeUndefined();
    expect(files.stored.has(image.id)).toBe(false);
  });

  it('deletes an unused image at once; dry run and malformed ids change nothing', async () => {
    const { files, reg, signal, deps } = setup();
    const image = await registerImage(reg, input(), chunks(4096), signal);
    const collector = {
      images: deps.images,
      imageFiles: files,
      dependants: [],
      logger: silentLogger,
    };
    expect(await codeOf(deregisterImage(collector, image.id, { dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(await codeOf(deregisterImage(collector, 'ami-zz'))).toBe('InvalidAMIID.Malformed');
    expect(deps.images.get(image.id)?.state).toBe('available');
    await deregisterImage(collector, image.id);
    expect(deps.images.get(image.id)).toBeUndefined();
    expect(files.stored.size).toBe(0);
  });
});

describe('createImage and copyImage', () => {
  const setupCopy = () => {
    const { deps, files, signal } = setup();
    const cdeps = {
      images: deps.images,
      instances: deps.instances,
      imageFiles: files,
      locks: deps.locks,
      clock: deps.clock,
      logger: silentLogger,
    };
    const put = (state: 'stopped' | 'running') =>
      deps.instances.put({
        id: 'i-0000000000000000b',
        reservationId: 'r-0000000000000000b',
        imageId: TINY_IMAGE.id,
        instanceType: 't3.micro',
        state,
        stateTransitionReason: '',
        launchTime: new Date(0),
        tags: [],
        launchIndex: 0,
        rootDisk: '/volumes/i-0000000000000000b-root.qcow2',
      });
    return { deps, files, signal, cdeps, put };
  };

  it('flattens a stopped instance root disk into a new available image that boots like its image', async () => {
    const { files, signal, cdeps, put, deps } = setupCopy();
    put('stopped');
    const image = await createImage(
      cdeps,
      { instanceId: 'i-0000000000000000b', name: 'snapshot-1' },
      signal,
    );
    expect(files.copies).toEqual([
      { id: image.id, disk: '/volumes/i-0000000000000000b-root.qcow2' },
    ]);
    expect(deps.images.get(image.id)).toMatchObject({
      state: 'available',
      kernelCmdline: TINY_IMAGE.kernelCmdline,
    });
  });

  it('refuses a running instance it has no way to copy, and unknown ones; leaves nothing when the copy fails', async () => {
    const { files, signal, cdeps, put, deps } = setupCopy();
    put('running');
    const create = (id = 'i-0000000000000000b', noReboot = false) =>
      codeOf(createImage(cdeps, { instanceId: id, name: 'snapshot-1', noReboot }, signal));
    // No way to copy a running guest's disk (no hypervisor support): refused, with or without
    // NoReboot.
    expect(await create()).toBe('IncorrectInstanceState');
    expect(await create('i-0000000000000000b', true)).toBe('IncorrectInstanceState');
    expect(await create('i-0000000000000000c')).toBe('InvalidInstanceID.NotFound');
    put('stopped');
    files.failStore = true;
    const before = deps.images.list().length;
    expect(await create()).not.toBe('resolved');
    expect(deps.images.list().length).toBe(before);
  });

  it('copies a running instance disk through the hypervisor with NoReboot', async () => {
    const { signal, cdeps, deps, files } = setupCopy();
    const runtime = {
      instanceId: 'i-0000000000000000b',
      pid: 1,
      startTime: 1,
      launched: true,
      paths: {
        dir: '/r',
        qmpSocket: '/r/q',
        qmpEventSocket: '/r/e',
        consoleSocket: '/r/c',
        consoleLog: '/r/l',
        pidFile: '/r/p',
        qemuLog: '/r/g',
      },
    };
    deps.instances.put({
      id: 'i-0000000000000000b',
      reservationId: 'r-0000000000000000b',
      imageId: TINY_IMAGE.id,
      instanceType: 't3.micro',
      state: 'running',
      stateTransitionReason: '',
      launchTime: new Date(0),
      tags: [],
      launchIndex: 0,
      rootDisk: '/volumes/i-0000000000000000b-root.qcow2',
      runtime,
    });
    const copied: string[] = [];
    const image = await createImage(
      {
        ...cdeps,
        hypervisor: {
          copyRootDisk: (rt, target) => {
            copied.push(`${rt.instanceId} -> ${target}`);
            return Promise.resolve();
          },
        },
      },
      { instanceId: 'i-0000000000000000b', name: 'live-1', noReboot: true },
      signal,
    );
    expect(copied).toEqual([`i-0000000000000000b -> /store/${image.id}/disk.qcow2.part`]);
    expect(files.stored.has(image.id)).toBe(true);
    expect(deps.images.get(image.id)?.state).toBe('available');
  });

  it('without NoReboot: powers the guest off, copies it, boots it again (also when the copy fails)', async () => {
    const { signal, cdeps, deps, files } = setupCopy();
    const runtime = {
      instanceId: 'i-0000000000000000b',
      pid: 1,
      startTime: 1,
      launched: true,
      paths: {
        dir: '/r',
        qmpSocket: '/r/q',
        qmpEventSocket: '/r/e',
        consoleSocket: '/r/c',
        consoleLog: '/r/l',
        pidFile: '/r/p',
        qemuLog: '/r/g',
      },
    };
    deps.instances.put({
      id: 'i-0000000000000000b',
      reservationId: 'r-0000000000000000b',
      imageId: TINY_IMAGE.id,
      instanceType: 't3.micro',
      state: 'running',
      stateTransitionReason: '',
      launchTime: new Date(0),
      tags: [],
      launchIndex: 0,
      rootDisk: '/volumes/i-0000000000000000b-root.qcow2',
      runtime,
    });
    const steps: string[] = [];
    let powersOff = true;
    const hypervisor = {
      powerOffGuest: (_rt: unknown, timeoutMs: number) => {
        steps.push(`power off (${timeoutMs} ms)`);
        return Promise.resolve(powersOff);
      },
      copyRootDisk: () => {
        steps.push('copy');
        return Promise.resolve();
      },
      bootAgain: () => {
        steps.push('boot again');
        return Promise.resolve();
      },
    };
    const make = (name: string) =>
      createImage(
        { ...cdeps, hypervisor, powerOffTimeoutMs: 5000 },
        { instanceId: 'i-0000000000000000b', name },
        signal,
      );
    const image = await make('rebooted-1');
    expect(steps).toEqual(['power off (5000 ms)', 'copy', 'boot again']);
    expect(deps.images.get(image.id)?.state).toBe('available');
    // A guest that ignores the power button is copied as it runs, then reset.
    steps.length = 0;
    powersOff = false;
    await make('rebooted-2');
    expect(steps).toEqual(['power off (5000 ms)', 'copy', 'boot again']);
    // A failed copy leaves no image, and the guest still boots again.
    steps.length = 0;
    files.failStore = true;
    expect(await codeOf(make('rebooted-3'))).not.toBe('resolved');
    expect(steps.at(-1)).toBe('boot again');
    expect(deps.images.list().some((i) => i.name === 'rebooted-3')).toBe(false);
  });

  it('copies an available image in this region only, with its tags when asked', async () => {
    const { signal, cdeps, deps } = setupCopy();
    deps.images.put({ ...TINY_IMAGE, tags: [{ key: 'team', value: 'blue' }] });
    const copy = await copyImage(
      cdeps,
      { sourceImageId: TINY_IMAGE.id, name: 'copy-1', copyImageTags: true },
      'kumo-local-1',
      signal,
    );
    expect(deps.images.get(copy.id)?.tags).toEqual([{ key: 'team', value: 'blue' }]);
    expect(
      await codeOf(
        copyImage(
          cdeps,
          { sourceImageId: TINY_IMAGE.id, name: 'copy-2', sourceRegion: 'us-east-1' },
          'kumo-local-1',
          signal,
        ),
      ),
    ).toBe('InvalidParameterValue');
  });
});

describe('instanceRootDisks', () => {
  it('counts launching instances (no disk yet) and live ones, not terminated ones', () => {
    const deps = fakeComputeDeps();
    const base = {
      reservationId: 'r-0000000000000000d',
      imageId: 'ami-0000000000000000d',
      instanceType: 't3.micro',
      stateTransitionReason: '',
      launchTime: new Date(0),
      tags: [],
      launchIndex: 0,
    };
    deps.instances.put({ ...base, id: 'i-0000000000000000d', state: 'pending' });
    deps.instances.put({ ...base, id: 'i-0000000000000000e', state: 'stopped', rootDisk: '/v/e' });
    deps.instances.put({ ...base, id: 'i-0000000000000000f', state: 'terminated' });
    expect(instanceRootDisks(deps.instances)('ami-0000000000000000d')).toEqual([
      'i-0000000000000000d',
      'i-0000000000000000e',
    ]);
  });
});
