import { describe, expect, it } from 'vitest';
import type { Vpc } from '../../../src/network/vpc.js';
import { vpcRoutingHooks } from '../../../src/network/vpc-routing.js';
import { fakeRouting } from '../../fakes/routing.js';

const vpc: Vpc = {
  id: 'vpc-0000000000000000a',
  cidr: '10.0.0.0/16',
  isDefault: false,
  routerPublicIp: '100.80.0.9',
};

describe('vpcRoutingHooks: a VPC and its routing records', () => {
  it('create-vpc makes the main route table with the local route only', async () => {
    const routing = fakeRouting();
    await vpcRoutingHooks(routing).created?.(vpc);
    const [main] = routing.routeTables.list();
    expect(main).toMatchObject({
      vpcId: vpc.id,
      routes: [{ destinationCidr: '10.0.0.0/16', gatewayId: 'local' }],
      associations: [{ main: true }],
    });
  });

  it('an attached gateway and a non-main table hold delete-vpc; the main table goes with it', async () => {
    const routing = fakeRouting();
    const hooks = vpcRoutingHooks(routing);
    await hooks.created?.(vpc);
    expect(hooks.dependants?.(vpc.id)).toEqual([]);
    routing.gateways.put({ id: 'igw-0000000000000000a', vpcId: vpc.id, tags: [] });
    routing.routeTables.put({
      id: 'rtb-0000000000000000b',
      vpcId: vpc.id,
      routes: [],
      associations: [],
      tags: [],
    });
    expect(hooks.dependants?.(vpc.id)).toEqual([
      'internet gateway igw-0000000000000000a is attached (detach-internet-gateway)',
      'route table rtb-0000000000000000b (delete-route-table)',
    ]);
    routing.gateways.put({ id: 'igw-0000000000000000a', tags: [] });
    routing.routeTables.delete('rtb-0000000000000000b');
    expect(hooks.dependants?.(vpc.id)).toEqual([]);
    await hooks.deleted?.(vpc);
    expect(routing.routeTables.list()).toEqual([]);
  });
});
