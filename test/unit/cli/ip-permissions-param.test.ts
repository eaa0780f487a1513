import { describe, expect, it } from 'vitest';
import { parseIpPermissions, permissionsOf } from '../../../src/cli/ip-permissions-param.js';

describe('--ip-permissions and the short forms', () => {
  it('parses shorthand and JSON as aws-cli does', () => {
    expect(
      parseIpPermissions([
        'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0,Description=ssh}]',
      ]),
    ).toEqual([
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        ipRanges: [{ cidrIp: '0.0.0.0/0', description: 'ssh' }],
        userIdGroupPairs: [],
      },
    ]);
    expect(
      parseIpPermissions(['[{"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-1"}]}]'])[0],
    ).toMatchObject({
      ipProtocol: '-1',
      fromPort: undefined,
      userIdGroupPairs: [{ groupId: 'sg-1' }],
    });
    expect(() => parseIpPermissions(['IpProtocol=tcp,Ipv6Ranges=[{CidrIpv6=::/0}]'])).toThrow(
      /IPv4-only/,
    );
    expect(() => parseIpPermissions(['IpProtocol=tcp,FromPort=x'])).toThrow(/integer/);
  });

  it('builds one permission from --protocol/--port/--cidr/--source-group', () => {
    expect(permissionsOf({ protocol: 'tcp', port: '1000-2000', cidr: '10.0.0.0/8' })).toMatchObject(
      [{ ipProtocol: 'tcp', fromPort: 1000, toPort: 2000, ipRanges: [{ cidrIp: '10.0.0.0/8' }] }],
    );
    expect(permissionsOf({ protocol: 'icmp', port: '8', cidr: '0.0.0.0/0' })).toMatchObject([
      { ipProtocol: 'icmp', fromPort: 8, toPort: -1 },
    ]);
    expect(permissionsOf({ protocol: 'all', sourceGroup: 'sg-0123456789abcdef0' })).toMatchObject([
      { ipProtocol: '-1', userIdGroupPairs: [{ groupId: 'sg-0123456789abcdef0', groupName: '' }] },
    ]);
    expect(
      permissionsOf({ protocol: 'tcp', port: '22', sourceGroup: 'web' })[0]?.userIdGroupPairs[0],
    ).toMatchObject({
      groupId: '',
      groupName: 'web',
    });
    expect(() => permissionsOf({ port: '22', cidr: '0.0.0.0/0' })).toThrow(/--protocol/);
    expect(() => permissionsOf({ protocol: 'tcp', port: '22' })).toThrow(
      /--cidr or --source-group/,
    );
    expect(() =>
      permissionsOf({
        protocol: 'tcp',
        port: '22',
        cidr: '0.0.0.0/0',
        ipPermissions: ['IpProtocol=tcp'],
      }),
    ).toThrow(/not both/);
  });
});
