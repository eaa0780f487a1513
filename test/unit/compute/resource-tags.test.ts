import { describe, expect, it } from 'vitest';
import {
  createTags,
  deleteTags,
  describeTags,
  isDeleted,
  recordTagStore,
  resourceTypeOf,
  TAGGABLE,
  type ResourceTagDeps,
  type TaggableResources,
  type TaggableType,
} from '../../../src/compute/resource-tags.js';
import { KumoError } from '../../../src/core/errors.js';
import { KeyedMutex } from '../../../src/core/keyed-mutex.js';
import type { Tag } from '../../../src/core/tags.js';

interface Rec {
  readonly id: string;
  readonly tags?: readonly Tag[];
  readonly other: string;
}

/** A map-backed repository; the unit of work snapshots every one of them. */
class MapRepo {
  rows = new Map<string, Rec>();
  get = (id: string) => this.rows.get(id);
  put = (r: Rec) => void this.rows.set(r.id, r);
  list = () => [...this.rows.values()];
}

function world() {
  const repos = Object.fromEntries(
    (Object.keys(TAGGABLE) as TaggableType[]).map((t) => [t, new MapRepo()]),
  ) as Record<TaggableType, MapRepo>;
  const resources = Object.fromEntries(
    Object.entries(repos).map(([t, r]) => [t, recordTagStore(r, (x) => x.id)]),
  ) as unknown as TaggableResources;
  const deps: ResourceTagDeps = {
    resources,
    locks: new KeyedMutex(),
    uow: {
      run: <T>(fn: () => T): T => {
        const saved = Object.values(repos).map((r) => new Map(r.rows));
        try {
          return fn();
        } catch (e) {
          Object.values(repos).forEach((r, i) => (r.rows = saved[i]!));
          throw e;
        }
      },
    },
  };
  repos.instance.put({
    id: 'i-0123456789abcdef0',
    tags: [{ key: 'Name', value: 'web' }],
    other: 'x',
  });
  repos.volume.put({ id: 'vol-0123456789abcdef0', tags: [], other: 'y' });
  // Some records (images, VPCs) carry no tags field until tagged.
  repos.vpc.put({ id: 'vpc-0123456789abcdef0', other: 'z' });
  return { repos, deps };
}

const codeOf = async (fn: () => unknown): Promise<string> => {
  try {
    await fn();
  } catch (e) {
    if (e instanceof KumoError) return e.code;
    throw e;
  }
  throw new Error('expected a KumoError');
};

const I = 'i-0123456789abcdef0';
const V = 'vol-0123456789abcdef0';
const VPC = 'vpc-0123456789abcdef0';

describe('resourceTypeOf', () => {
  it('maps each prefix to its EC2 resource type', () => {
    expect(resourceTypeOf('i-0123456789abcdef0')).toBe('instance');
    expect(resourceTypeOf('vol-01234567')).toBe('volume');
    expect(resourceTypeOf('snap-0123456789abcdef0')).toBe('snapshot');
    expect(resourceTypeOf('ami-0123456789abcdef0')).toBe('image');
    expect(resourceTypeOf('key-0123456789abcdef0')).toBe('key-pair');
    expect(resourceTypeOf('sg-0123456789abcdef0')).toBe('security-group');
    expect(resourceTypeOf('vpc-0123456789abcdef0')).toBe('vpc');
    expect(resourceTypeOf('subnet-0123456789abcdef0')).toBe('subnet');
    expect(resourceTypeOf('igw-0123456789abcdef0')).toBe('internet-gateway');
    expect(resourceTypeOf('rtb-0123456789abcdef0')).toBe('route-table');
    expect(resourceTypeOf('eipalloc-0123456789abcdef0')).toBe('elastic-ip');
  });
  it('answers InvalidID for unknown prefixes and malformed ids', async () => {
    for (const id of ['foo-0123456789abcdef0', 'i-xyz', 'i-0123', '', 'eni-0123456789abcdef0']) {
      expect(await codeOf(() => resourceTypeOf(id))).toBe('InvalidID');
    }
  });
});

describe('createTags', () => {
  it('adds tags and overwrites the value of a key the resource has, keeping the record', async () => {
    const { repos, deps } = world();
    await createTags(deps, {
      resources: [I, VPC],
      tags: [
        { key: 'Name', value: 'api' },
        { key: 'env', value: '' },
      ],
      dryRun: false,
    });
    expect(repos.instance.get(I)).toEqual({
      id: I,
      other: 'x',
      tags: [
        { key: 'Name', value: 'api' },
        { key: 'env', value: '' },
      ],
    });
    expect(repos.vpc.get(VPC)?.tags).toEqual([
      { key: 'Name', value: 'api' },
      { key: 'env', value: '' },
    ]);
  });

  it('changes nothing when one resource does not exist, answering its type code', async () => {
    const { repos, deps } = world();
    const missing = {
      'vol-0aaaaaaaaaaaaaaaa': 'InvalidVolume.NotFound',
      'i-0aaaaaaaaaaaaaaaa': 'InvalidInstanceID.NotFound',
      'ami-0aaaaaaaaaaaaaaaa': 'InvalidAMIID.NotFound',
      'snap-0aaaaaaaaaaaaaaaa': 'InvalidSnapshot.NotFound',
      'sg-0aaaaaaaaaaaaaaaa': 'InvalidGroup.NotFound',
      'vpc-0aaaaaaaaaaaaaaaa': 'InvalidVpcID.NotFound',
      'subnet-0aaaaaaaaaaaaaaaa': 'InvalidSubnetID.NotFound',
      'igw-0aaaaaaaaaaaaaaaa': 'InvalidInternetGatewayID.NotFound',
      'rtb-0aaaaaaaaaaaaaaaa': 'InvalidRouteTableID.NotFound',
      'eipalloc-0aaaaaaaaaaaaaaaa': 'InvalidAllocationID.NotFound',
      'key-0aaaaaaaaaaaaaaaa': 'InvalidKeyPair.NotFound',
    };
    for (const [id, code] of Object.entries(missing)) {
      expect(
        await codeOf(() =>
          createTags(deps, { resources: [I, id], tags: [{ key: 'a', value: 'b' }], dryRun: false }),
        ),
      ).toBe(code);
    }
    expect(repos.instance.get(I)?.tags).toEqual([{ key: 'Name', value: 'web' }]);
  });

  it('refuses bad keys and values before touching anything', async () => {
    const { repos, deps } = world();
    const tryTags = (tags: Tag[]) =>
      codeOf(() => createTags(deps, { resources: [I], tags, dryRun: false }));
    expect(await tryTags([{ key: 'aws:x', value: '' }])).toBe('InvalidParameterValue');
    expect(await tryTags([{ key: 'AWS:x', value: '' }])).toBe('InvalidParameterValue');
    expect(await tryTags([{ key: '', value: '' }])).toBe('InvalidParameterValue');
    expect(await tryTags([{ key: 'k'.repeat(129), value: '' }])).toBe('InvalidParameterValue');
    expect(await tryTags([{ key: 'k', value: 'v'.repeat(257) }])).toBe('InvalidParameterValue');
    expect(
      await tryTags([
        { key: 'k', value: '1' },
        { key: 'k', value: '2' },
      ]),
    ).toBe('InvalidParameterValue');
    expect(await tryTags([])).toBe('MissingParameter');
    expect(
      await codeOf(() =>
        createTags(deps, { resources: [], tags: [{ key: 'a', value: '' }], dryRun: false }),
      ),
    ).toBe('MissingParameter');
    expect(repos.instance.get(I)?.tags).toEqual([{ key: 'Name', value: 'web' }]);
    // The limits themselves are accepted.
    await createTags(deps, {
      resources: [I],
      tags: [{ key: 'k'.repeat(128), value: 'v'.repeat(256) }],
      dryRun: false,
    });
    expect(repos.instance.get(I)?.tags).toHaveLength(2);
  });

  it('answers TagLimitExceeded past 50 tags on a resource, counting overwritten keys once', async () => {
    const { repos, deps } = world();
    const tags = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) => ({ key: `k${i + from}`, value: '' }));
    await createTags(deps, { resources: [V], tags: tags(50), dryRun: false });
    // Overwriting existing keys keeps 50.
    await createTags(deps, { resources: [V], tags: tags(10), dryRun: false });
    expect(repos.volume.get(V)?.tags).toHaveLength(50);
    expect(
      await codeOf(() => createTags(deps, { resources: [I, V], tags: tags(1, 50), dryRun: false })),
    ).toBe('TagLimitExceeded');
    // All or nothing: the instance, checked first, did not get the tag either.
    expect(repos.instance.get(I)?.tags).toEqual([{ key: 'Name', value: 'web' }]);
  });

  it('answers DryRunOperation and changes nothing under dry run', async () => {
    const { repos, deps } = world();
    expect(
      await codeOf(() =>
        createTags(deps, {
          resources: [I],
          tags: [{ key: 'a', value: 'b' }],
          dryRun: true,
        }),
      ),
    ).toBe('DryRunOperation');
    expect(repos.instance.get(I)?.tags).toEqual([{ key: 'Name', value: 'web' }]);
    // A dry run still checks the resources.
    expect(
      await codeOf(() =>
        createTags(deps, {
          resources: ['i-0aaaaaaaaaaaaaaaa'],
          tags: [{ key: 'a', value: 'b' }],
          dryRun: true,
        }),
      ),
    ).toBe('InvalidInstanceID.NotFound');
  });
});

describe('deleteTags', () => {
  const seed = (deps: ResourceTagDeps) =>
    createTags(deps, {
      resources: [I, V],
      tags: [
        { key: 'a', value: '1' },
        { key: 'b', value: '' },
        { key: 'c', value: '3' },
      ],
      dryRun: false,
    });

  it('deletes a key whatever its value, or only when the given value matches', async () => {
    const { repos, deps } = world();
    await seed(deps);
    await deleteTags(deps, {
      resources: [I, V],
      tags: [{ key: 'a' }, { key: 'c', value: 'other' }, { key: 'b', value: '' }],
      dryRun: false,
    });
    expect(repos.instance.get(I)?.tags).toEqual([
      { key: 'Name', value: 'web' },
      { key: 'c', value: '3' },
    ]);
    expect(repos.volume.get(V)?.tags).toEqual([{ key: 'c', value: '3' }]);
  });

  it('deletes every tag when none is given, and a missing key is no error', async () => {
    const { repos, deps } = world();
    await seed(deps);
    await deleteTags(deps, { resources: [I], tags: [{ key: 'nope' }], dryRun: false });
    expect(repos.instance.get(I)?.tags).toHaveLength(4);
    await deleteTags(deps, { resources: [I], tags: [], dryRun: false });
    expect(repos.instance.get(I)?.tags).toEqual([]);
    expect(repos.volume.get(V)?.tags).toHaveLength(3);
  });

  it('checks every resource first and honours dry run', async () => {
    const { repos, deps } = world();
    await seed(deps);
    expect(
      await codeOf(() =>
        deleteTags(deps, {
          resources: [I, 'snap-0aaaaaaaaaaaaaaaa'],
          tags: [],
          dryRun: false,
        }),
      ),
    ).toBe('InvalidSnapshot.NotFound');
    expect(await codeOf(() => deleteTags(deps, { resources: [I], tags: [], dryRun: true }))).toBe(
      'DryRunOperation',
    );
    expect(
      await codeOf(() => deleteTags(deps, { resources: ['x'], tags: [], dryRun: false })),
    ).toBe('InvalidID');
    expect(
      await codeOf(() =>
        deleteTags(deps, { resources: [I], tags: [{ key: 'aws:x' }], dryRun: false }),
      ),
    ).toBe('InvalidParameterValue');
    expect(repos.instance.get(I)?.tags).toHaveLength(4);
  });

  it('isDeleted: key alone, key and value, nothing', () => {
    const t = { key: 'k', value: 'v' };
    expect(isDeleted(t, [])).toBe(true);
    expect(isDeleted(t, [{ key: 'k' }])).toBe(true);
    expect(isDeleted(t, [{ key: 'k', value: 'v' }])).toBe(true);
    expect(isDeleted(t, [{ key: 'k', value: '' }])).toBe(false);
    expect(isDeleted(t, [{ key: 'K' }])).toBe(false);
  });
});

describe('describeTags', () => {
  it('lists every tag by resource id and key, with the filters EC2 has', async () => {
    const { deps } = world();
    await createTags(deps, {
      resources: [V, VPC],
      tags: [
        { key: 'team', value: 'blue' },
        { key: 'env', value: 'prod' },
      ],
      dryRun: false,
    });
    const all = describeTags(deps.resources, []);
    expect(all.map((d) => [d.resourceId, d.resourceType, d.key, d.value])).toEqual([
      [I, 'instance', 'Name', 'web'],
      [V, 'volume', 'env', 'prod'],
      [V, 'volume', 'team', 'blue'],
      [VPC, 'vpc', 'env', 'prod'],
      [VPC, 'vpc', 'team', 'blue'],
    ]);
    const ids = (f: { name: string; values: string[] }[]) =>
      describeTags(deps.resources, f).map((d) => `${d.resourceId}/${d.key}`);
    expect(ids([{ name: 'resource-type', values: ['vpc'] }])).toEqual([
      `${VPC}/env`,
      `${VPC}/team`,
    ]);
    expect(ids([{ name: 'key', values: ['te*'] }])).toEqual([`${V}/team`, `${VPC}/team`]);
    expect(ids([{ name: 'value', values: ['web', 'prod'] }])).toEqual([
      `${I}/Name`,
      `${V}/env`,
      `${VPC}/env`,
    ]);
    expect(
      ids([
        { name: 'resource-id', values: [V] },
        { name: 'key', values: ['env'] },
      ]),
    ).toEqual([`${V}/env`]);
    // tag:<key> keeps the tags of resources that have that tag.
    expect(ids([{ name: 'tag:Name', values: ['web'] }])).toEqual([`${I}/Name`]);
    expect(
      await codeOf(() => describeTags(deps.resources, [{ name: 'owner', values: ['x'] }])),
    ).toBe('InvalidParameterValue');
  });
});

describe('locking', () => {
  it('waits for a lifecycle step holding the resource, then tags the record it wrote', async () => {
    const { repos, deps } = world();
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    // A launch-like step: reads the record, waits on the "host", writes it back whole.
    const step = deps.locks.run(I, async () => {
      const before = repos.instance.get(I)!;
      await held;
      repos.instance.put({ ...before, other: 'after-step' });
    });
    const tagging = createTags(deps, {
      resources: [I],
      tags: [{ key: 'team', value: 'blue' }],
      dryRun: false,
    });
    release();
    await Promise.all([step, tagging]);
    expect(repos.instance.get(I)).toMatchObject({
      other: 'after-step',
      tags: [
        { key: 'Name', value: 'web' },
        { key: 'team', value: 'blue' },
      ],
    });
  });
});
