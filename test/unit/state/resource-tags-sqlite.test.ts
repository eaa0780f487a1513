import { describe, expect, it } from 'vitest';
import {
  createTags,
  deleteTags,
  describeTags,
  recordTagStore,
} from '../../../src/compute/resource-tags.js';
import { KeyedMutex } from '../../../src/core/keyed-mutex.js';
import { KumoError } from '../../../src/core/errors.js';
import { ensureDefaultGroup } from '../../../src/network/security-group-lookup.js';
import { openDatabase } from '../../../src/state/database.js';
import {
  SqliteImageRepository,
  SqliteInstanceRepository,
  SqliteKeyPairRepository,
  SqliteSubnetRepository,
  SqliteUnitOfWork,
  SqliteVpcRepository,
} from '../../../src/state/sqlite-repositories.js';
import { sqliteRoutingRepositories } from '../../../src/state/sqlite-routing.js';
import { SqliteSecurityGroupRepository } from '../../../src/state/sqlite-security-groups.js';
import { SqliteSnapshotRepository } from '../../../src/state/sqlite-snapshot-repository.js';
import { SqliteVolumeRepository } from '../../../src/state/sqlite-volume-repository.js';
import { DEFAULT_VPC } from '../../fakes/security-groups.js';
import { DEFAULT_SUBNET } from '../../fakes/vpcs.js';

/** The tagging calls over the real SQLite repositories, wired as kumod wires them. */
function sqliteWorld() {
  const db = openDatabase(':memory:');
  const vpcs = new SqliteVpcRepository(db);
  const subnets = new SqliteSubnetRepository(db);
  const groups = new SqliteSecurityGroupRepository(db);
  const routing = sqliteRoutingRepositories(db);
  vpcs.put(DEFAULT_VPC);
  subnets.put(DEFAULT_SUBNET);
  ensureDefaultGroup(groups, DEFAULT_VPC);
  const deps = {
    uow: new SqliteUnitOfWork(db),
    locks: new KeyedMutex(),
    resources: {
      instance: recordTagStore(new SqliteInstanceRepository(db), (i) => i.id),
      volume: recordTagStore(new SqliteVolumeRepository(db), (v) => v.id),
      snapshot: recordTagStore(new SqliteSnapshotRepository(db), (s) => s.id),
      image: recordTagStore(new SqliteImageRepository(db), (i) => i.id),
      'key-pair': recordTagStore(new SqliteKeyPairRepository(db), (k) => k.id),
      'security-group': recordTagStore(groups, (g) => g.id),
      vpc: recordTagStore(vpcs, (v) => v.id),
      subnet: recordTagStore(subnets, (s) => s.id),
      'internet-gateway': recordTagStore(routing.gateways, (g) => g.id),
      'route-table': recordTagStore(routing.routeTables, (t) => t.id),
      'elastic-ip': recordTagStore(routing.addresses, (a) => a.allocationId),
    },
  };
  return { deps, vpcs, subnets, groups };
}

describe('resource tags on SQLite', () => {
  it('writes tags into the records, keeps their other fields, and is all or nothing', async () => {
    const { deps, vpcs, subnets, groups } = sqliteWorld();
    const sg = groups.list()[0]!;
    const tags = [{ key: 'team', value: 'blue' }];
    await expect(
      createTags(deps, {
        resources: [DEFAULT_VPC.id, 'subnet-0aaaaaaaaaaaaaaaa'],
        tags,
        dryRun: false,
      }),
    ).rejects.toSatisfy((e) => e instanceof KumoError && e.code === 'InvalidSubnetID.NotFound');
    expect(vpcs.get(DEFAULT_VPC.id)?.tags ?? []).toEqual([]);

    await createTags(deps, {
      resources: [DEFAULT_VPC.id, DEFAULT_SUBNET.id, sg.id],
      tags,
      dryRun: false,
    });
    expect(vpcs.get(DEFAULT_VPC.id)).toEqual({ ...DEFAULT_VPC, tags });
    expect(subnets.get(DEFAULT_SUBNET.id)).toEqual({ ...DEFAULT_SUBNET, tags });
    expect(groups.get(sg.id)).toEqual({ ...sg, tags });
    expect(describeTags(deps.resources, []).map((d) => d.resourceType)).toEqual([
      'security-group',
      'subnet',
      'vpc',
    ]);
    await deleteTags(deps, { resources: [sg.id], tags: [], dryRun: false });
    expect(groups.get(sg.id)).toEqual({ ...sg, tags: [] });
  });
});
