import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DescribeImagesRequest } from '../../../src/gen/kumo/v1/images.js';
import { ec2Error, kumo as run, scripted, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/** `kumo wait image-*` and `key-pair-exists` against a fake kumod: ids, polls and verdicts. */
describe('resource waiters', () => {
  let fake: FakeKumod;
  const kumo = (...args: string[]) => run(fake.endpoint, args);

  beforeAll(async () => {
    fake = await startFakeKumod({
      describeImages: scripted([
        ec2Error('InvalidAMIID.NotFound', status.NOT_FOUND, 'not yet'),
        { images: [{ imageId: 'ami-1', state: 'pending' }] },
        { images: [{ imageId: 'ami-1', state: 'available' }] },
        { images: [{ imageId: 'ami-2', state: 'failed' }] },
      ]),
      describeKeyPairs: () => ({ keyPairs: [{ keyName: 'me', keyPairId: 'key-1' }] }),
    });
  });
  afterAll(() => fake.close());

  it('image-exists retries the not-found error; image-available waits for available', async () => {
    expect(await kumo('wait', 'image-exists', '--image-ids', 'ami-1')).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(await kumo('wait', 'image-available', '--image-ids', 'ami-1')).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const seen = fake.seen.describeImages as DescribeImagesRequest[];
    expect(seen.map((r) => r.imageIds)).toEqual([['ami-1'], ['ami-1'], ['ami-1']]);
  });

  it('fails at once on a failed image, naming it', async () => {
    const r = await kumo('wait', 'image-available', '--image-ids', 'ami-2');
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Waiter ImageAvailable failed: ami-2 (failed)');
  });

  it('key-pair-exists takes --key-names and --filters', async () => {
    const r = await kumo(
      'wait',
      'key-pair-exists',
      '--key-names',
      'me',
      '--filters',
      'Name=key-name,Values=me',
    );
    expect(r.code).toBe(0);
    expect(fake.seen.describeKeyPairs?.at(-1)).toMatchObject({
      keyNames: ['me'],
      filters: [{ name: 'key-name', values: ['me'] }],
    });
  });
});
