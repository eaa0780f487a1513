import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeDoc } from '../../../src/state/codec.js';
import { openDatabase } from '../../../src/state/database.js';
import { SqliteNetworkInterfaceRepository } from '../../../src/state/sqlite-repositories.js';
import { sqliteRoutingRepositories } from '../../../src/state/sqlite-routing.js';

const VPC = 'vpc-0123456789abcdef0';
const eni = (instanceId: string, n: number) => ({
  id: `eni-${instanceId.slice(2)}`,
  instanceId,
  vpcId: VPC,
  subnetId: 'subnet-0123456789abcdef0',
  privateIp: `172.31.0.${n}`,
  publicIp: `100.80.0.${n}`,
  mac: `52:54:00:00:00:0${n}`,
});

describe('the routing migration', () => {
  it("keeps existing VPCs reachable (attached gateway, main table to it) and frees stopped instances' public IPs", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-migrate-routing-'));
    try {
      const file = join(dir, 'kumo.db');
      const db = openDatabase(file);
      // The state as the release before route tables left it (its last migration ran).
      const version = Number(db.get<{ user_version: number }>('PRAGMA user_version')?.user_version);
      db.raw.exec(
        `DROP TABLE internet_gateways; DROP TABLE route_tables; DROP TABLE elastic_addresses; PRAGMA user_version = ${version - 2};`,
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
      for (const [id, state, n] of [
        ['i-00000000000000001', 'running', 4],
        ['i-00000000000000002', 'stopped', 5],
      ] as const) {
        db.run(
          'INSERT INTO network_interfaces (id, instance_id, vpc_id, subnet_id, doc) VALUES (?, ?, ?, ?, ?)',
          eni(id, n).id,
          id,
          VPC,
          eni(id, n).subnetId,
          encodeDoc(eni(id, n)),
        );
        db.run(
          'INSERT INTO instances (id, state, doc) VALUES (?, ?, ?)',
          id,
          state,
          encodeDoc({ id, state }),
        );
      }
      db.close();

      const reopened = openDatabase(file);
      const routing = sqliteRoutingRepositories(reopened);
      const [igw] = routing.gateways.list();
      expect(igw).toEqual({
        id: expect.stringMatching(/^igw-[0-9a-f]{17}$/),
        vpcId: VPC,
        tags: [],
      });
      const [main] = routing.routeTables.list();
      expect(main?.vpcId).toBe(VPC);
      expect(main?.associations).toEqual([{ id: expect.stringMatching(/^rtbassoc-/), main: true }]);
      expect(main?.routes).toEqual([
        { destinationCidr: '172.31.0.0/16', gatewayId: 'local', origin: 'CreateRouteTable' },
        { destinationCidr: '0.0.0.0/0', gatewayId: igw?.id, origin: 'CreateRoute' },
      ]);
      expect(routing.addresses.list()).toEqual([]);
      const interfaces = new SqliteNetworkInterfaceRepository(reopened);
      expect(interfaces.byInstance('i-00000000000000001')?.publicIp).toBe('100.80.0.4');
      expect(interfaces.byInstance('i-00000000000000002')?.publicIp).toBeUndefined();
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
