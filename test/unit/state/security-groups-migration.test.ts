import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeDoc } from '../../../src/state/codec.js';
import { openDatabase } from '../../../src/state/database.js';
import {
  SqliteInstanceRepository,
  SqliteNetworkInterfaceRepository,
} from '../../../src/state/sqlite-repositories.js';
import { SqliteSecurityGroupRepository } from '../../../src/state/sqlite-security-groups.js';

const VPC = 'vpc-0123456789abcdef0';
const eni = (instanceId: string) => ({
  id: `eni-${instanceId.slice(2)}`,
  instanceId,
  vpcId: VPC,
  subnetId: 'subnet-0123456789abcdef0',
  privateIp: '172.31.0.4',
  publicIp: '100.80.0.3',
  mac: '52:54:00:00:00:04',
});

describe('the security groups migration', () => {
  it('gives every VPC its default group and every existing interface (and instance) that group', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-migrate-sg-'));
    try {
      const file = join(dir, 'kumo.db');
      const db = openDatabase(file);
      // The state as the release before security groups left it.
      db.raw.exec(
        'DROP TABLE security_groups; DROP TABLE volumes; DROP TABLE snapshots; DROP TABLE internet_gateways; DROP TABLE route_tables; DROP TABLE elastic_addresses; PRAGMA user_version = 5;',
      );
      db.run(
        'INSERT INTO vpcs (id, doc) VALUES (?, ?)',
        VPC,
        encodeDoc({
          id: VPC,
          cidr: '172.31.0.0/16',
          isDefault: true,
          routerPublicIp: '100.80.0.2',
        }),
      );
      const id = 'i-00000000000000001';
      db.run(
        'INSERT INTO network_interfaces (id, instance_id, vpc_id, subnet_id, doc) VALUES (?, ?, ?, ?, ?)',
        eni(id).id,
        id,
        VPC,
        eni(id).subnetId,
        encodeDoc(eni(id)),
      );
      db.run(
        'INSERT INTO instances (id, state, doc) VALUES (?, ?, ?)',
        id,
        'running',
        encodeDoc({ id, state: 'running', network: eni(id), tags: [], launchTime: new Date() }),
      );
      db.close();

      const reopened = openDatabase(file);
      const groups = new SqliteSecurityGroupRepository(reopened).list();
      expect(groups).toHaveLength(1);
      const def = groups[0]!;
      // The id describe-instances showed before groups were real.
      expect(def).toMatchObject({
        id: 'sg-0123456789abcdef0',
        vpcId: VPC,
        name: 'default',
        isDefault: true,
      });
      expect(def.rules.map((r) => [r.egress, r.protocol, r.groupId ?? r.cidrIpv4])).toEqual([
        [false, '-1', def.id],
        [true, '-1', '0.0.0.0/0'],
      ]);
      for (const r of def.rules) expect(r.id).toMatch(/^sgr-[0-9a-f]{17}$/);
      expect(new SqliteNetworkInterfaceRepository(reopened).byInstance(id)).toMatchObject({
        groupIds: [def.id],
        sourceDestCheck: true,
      });
      expect(new SqliteInstanceRepository(reopened).get(id)?.network?.groupIds).toEqual([def.id]);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
