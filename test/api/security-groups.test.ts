import { credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPascalCase } from '../../src/cli/pascal-case.js';
import {
  AuthorizeSecurityGroupIngressRequest,
  CreateSecurityGroupRequest,
  DeleteSecurityGroupRequest,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupsRequest,
  RevokeSecurityGroupIngressRequest,
  SecurityGroupsClient,
} from '../../src/gen/kumo/v1/security_groups.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';

/** The SecurityGroups service over gRPC: EC2's shapes (keys checked against botocore) and codes. */
const model = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/ec2-shapes.json'), 'utf8'),
) as {
  outputs: Record<string, string>;
  shapes: Record<
    string,
    { type: string; members?: Record<string, { shape: string }>; member?: { shape: string } }
  >;
};

/** Keys of `value` that EC2's shape does not have, anywhere inside (empty when all are EC2's). */
function unknownKeys(value: unknown, shapeName: string, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  if (shape.type === 'structure' && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => {
      const m = shape.members?.[k];
      return m ? unknownKeys(v, m.shape, `${path}.${k}`) : [`${path}.${k}`];
    });
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    return value.flatMap((v, i) => unknownKeys(v, shape.member!.shape, `${path}[${i}]`));
  }
  return [];
}

let api: ApiServer;
let sg: SecurityGroupsClient;

beforeAll(async () => {
  api = await startApiServer();
  sg = new SecurityGroupsClient(api.address, credentials.createInsecure());
});
afterAll(() => api.close());

describe('kumo.v1.SecurityGroups', () => {
  it('creates, authorizes, describes and revokes with EC2 shapes', async () => {
    const created = await call(
      sg.createSecurityGroup.bind(sg),
      CreateSecurityGroupRequest.fromPartial({ groupName: 'web', description: 'web' }),
    );
    expect(unknownKeys(toPascalCase(created), model.outputs.CreateSecurityGroup!)).toEqual([]);
    const added = await call(
      sg.authorizeSecurityGroupIngress.bind(sg),
      AuthorizeSecurityGroupIngressRequest.fromPartial({
        groupId: created.groupId,
        ipPermissions: [
          { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    expect(unknownKeys(toPascalCase(added), model.outputs.AuthorizeSecurityGroupIngress!)).toEqual(
      [],
    );
    expect(added.securityGroupRules[0]).toMatchObject({
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrIpv4: '0.0.0.0/0',
      isEgress: false,
    });
    const described = await call(
      sg.describeSecurityGroups.bind(sg),
      DescribeSecurityGroupsRequest.fromPartial({ groupIds: [created.groupId] }),
    );
    expect(unknownKeys(toPascalCase(described), model.outputs.DescribeSecurityGroups!)).toEqual([]);
    expect(described.securityGroups[0]?.ipPermissions).toMatchObject([
      { ipProtocol: 'tcp', fromPort: 22, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
    ]);
    const rules = await call(
      sg.describeSecurityGroupRules.bind(sg),
      DescribeSecurityGroupRulesRequest.fromPartial({
        filters: [{ name: 'group-id', values: [created.groupId] }],
      }),
    );
    expect(unknownKeys(toPascalCase(rules), model.outputs.DescribeSecurityGroupRules!)).toEqual([]);
    expect(rules.securityGroupRules).toHaveLength(2);
    const revoked = await call(
      sg.revokeSecurityGroupIngress.bind(sg),
      RevokeSecurityGroupIngressRequest.fromPartial({
        groupId: created.groupId,
        securityGroupRuleIds: [added.securityGroupRules[0]!.securityGroupRuleId],
      }),
    );
    expect(unknownKeys(toPascalCase(revoked), model.outputs.RevokeSecurityGroupIngress!)).toEqual(
      [],
    );
    const deleted = await call(
      sg.deleteSecurityGroup.bind(sg),
      DeleteSecurityGroupRequest.fromPartial({ groupId: created.groupId }),
    );
    expect(deleted).toEqual({ return: true, groupId: created.groupId });
  });

  it('answers bad input with EC2 codes in the trailers', async () => {
    const authorize = (ipPermissions: object[], groupId = 'sg-00000000000000001') =>
      failure(
        call(
          sg.authorizeSecurityGroupIngress.bind(sg),
          AuthorizeSecurityGroupIngressRequest.fromPartial({ groupId, ipPermissions }),
        ),
      );
    const bad = [
      { ipProtocol: 'tcp', fromPort: 1, toPort: 99999, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
    ];
    expect((await authorize(bad)).ec2).toBe('InvalidParameterValue');
    const ok = [{ ipProtocol: 'tcp', fromPort: 1, toPort: 1, ipRanges: [{ cidrIp: '0.0.0.0/0' }] }];
    expect((await authorize(ok, 'sg-12345678901234567')).ec2).toBe('InvalidGroup.NotFound');
    const del = await failure(
      call(
        sg.deleteSecurityGroup.bind(sg),
        DeleteSecurityGroupRequest.fromPartial({ groupId: 'sg-00000000000000001' }),
      ),
    );
    expect(del.ec2).toBe('CannotDelete');
  });
});
