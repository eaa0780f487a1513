import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { ApiServer } from './api-server.js';

/** One command's answer: the EC2 operation it called and what it printed with --output json. */
export interface PrintedCase {
  readonly operation: string;
  readonly args: readonly string[];
  readonly stdout: string;
  readonly printed: Record<string, any>;
}

/** Runs `kumo <args> --output json` in-process against `endpoint`; throws on a non-zero exit. */
export async function kumoJson(endpoint: string, args: readonly string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'kumo', ...args, '--output', 'json'], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: { KUMO_ENDPOINT: endpoint },
  });
  if (code !== 0) throw new Error(`kumo ${args.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

const ED25519 =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3M1hYEKCwAatm3HAQ0ytlPdIwaP2Kbo7xHl1YWnC1d me';

const tags = (type: string) => [
  '--tag-specifications',
  `ResourceType=${type},Tags=[{Key=Name,Value=n},{Key=team,Value=t}]`,
];

/**
 * Calls every operation of kumo's CLI that answers with data, on a fresh API server, building
 * up what fills the nested structures EC2 and kumo share: an instance with its interface,
 * security groups, disks, tags and an elastic IP; groups with rules naming CIDRs and groups;
 * volumes attached and modified, snapshots; a VPC with a subnet, a gateway, a route table with a
 * route and an association. Returns each command's printed answer, in call order.
 */
export async function runCliScenario(api: ApiServer): Promise<PrintedCase[]> {
  const endpoint = api.address;
  // The fakes have no guests to boot or shut down: finish the transitions a real host would.
  const settle = () => {
    for (const i of api.deps.instances.list()) {
      if (i.state === 'pending') api.deps.instances.put({ ...i, state: 'running' });
      if (i.state === 'stopping') api.deps.instances.put({ ...i, state: 'stopped' });
    }
  };
  const cases: PrintedCase[] = [];
  const run = async (operation: string, ...args: string[]) => {
    const stdout = await kumoJson(endpoint, args);
    const printed = JSON.parse(stdout) as Record<string, any>;
    cases.push({ operation, args, stdout, printed });
    return printed;
  };

  await run('CreateKeyPair', 'create-key-pair', '--key-name', 'k', ...tags('key-pair'));
  await run(
    'ImportKeyPair',
    'import-key-pair',
    '--key-name',
    'imported',
    '--public-key-material',
    ED25519,
    ...tags('key-pair'),
  );
  await run('DescribeKeyPairs', 'describe-key-pairs', '--include-public-key');
  await run('DeleteKeyPair', 'delete-key-pair', '--key-name', 'imported');

  const group = await run(
    'CreateSecurityGroup',
    'create-security-group',
    '--group-name',
    'web',
    '--description',
    'web tier',
    ...tags('security-group'),
  );
  const groupId = group.GroupId as string;
  const permissions = [
    {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'lan' }],
    },
    {
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      UserIdGroupPairs: [{ GroupId: groupId, Description: 'peers' }],
    },
  ];
  await run(
    'AuthorizeSecurityGroupIngress',
    'authorize-security-group-ingress',
    '--group-id',
    groupId,
    '--ip-permissions',
    JSON.stringify(permissions),
  );
  await run(
    'AuthorizeSecurityGroupEgress',
    'authorize-security-group-egress',
    '--group-id',
    groupId,
    '--ip-permissions',
    JSON.stringify(permissions),
  );
  await run(
    'RevokeSecurityGroupEgress',
    'revoke-security-group-egress',
    '--group-id',
    groupId,
    '--ip-permissions',
    JSON.stringify(permissions.slice(1)),
  );
  const spare = await run(
    'CreateSecurityGroup',
    'create-security-group',
    '--group-name',
    'spare',
    '--description',
    'to revoke and delete',
  );
  await run(
    'AuthorizeSecurityGroupIngress',
    'authorize-security-group-ingress',
    '--group-id',
    spare.GroupId,
    '--ip-permissions',
    JSON.stringify(permissions.slice(0, 1)),
  );
  await run(
    'RevokeSecurityGroupIngress',
    'revoke-security-group-ingress',
    '--group-id',
    spare.GroupId,
    '--ip-permissions',
    JSON.stringify(permissions.slice(0, 1)),
  );
  await run('DeleteSecurityGroup', 'delete-security-group', '--group-id', spare.GroupId);
  await run('DescribeSecurityGroups', 'describe-security-groups');
  await run('DescribeSecurityGroupRules', 'describe-security-group-rules');

  const reservation = await run(
    'RunInstances',
    'run-instances',
    '--key-name',
    'k',
    '--count',
    '2',
    '--security-group-ids',
    groupId,
    ...tags('instance'),
  );
  const [first, second] = (reservation.Instances as { InstanceId: string }[]).map(
    (i) => i.InstanceId,
  );
  settle();
  await run('StopInstances', 'stop-instances', '--instance-ids', second!);
  settle();
  const image = await run(
    'CreateImage',
    'create-image',
    '--instance-id',
    second!,
    '--name',
    'snap-of-second',
    ...tags('image'),
  );
  const copy = await run(
    'CopyImage',
    'copy-image',
    '--source-image-id',
    image.ImageId,
    '--name',
    'copy',
  );
  await run('StartInstances', 'start-instances', '--instance-ids', second!);
  settle();
  await run('GetConsoleOutput', 'get-console-output', '--instance-id', first!);
  await run(
    'ModifyInstanceMetadataOptions',
    'modify-instance-metadata-options',
    '--instance-id',
    first!,
    '--http-tokens',
    'required',
  );

  const volume = await run(
    'CreateVolume',
    'create-volume',
    '--availability-zone',
    'kumo-local-1a',
    '--size',
    '2',
    ...tags('volume'),
  );
  const volumeId = volume.VolumeId as string;
  await run(
    'AttachVolume',
    'attach-volume',
    '--volume-id',
    volumeId,
    '--instance-id',
    first!,
    '--device',
    '/dev/sdf',
  );
  await run('DescribeVolumes', 'describe-volumes');
  await run('ModifyVolume', 'modify-volume', '--volume-id', volumeId, '--size', '3');
  await run('DescribeVolumesModifications', 'describe-volumes-modifications');
  const snapshot = await run(
    'CreateSnapshot',
    'create-snapshot',
    '--volume-id',
    volumeId,
    '--description',
    'backup',
    ...tags('snapshot'),
  );
  await run('CopySnapshot', 'copy-snapshot', '--source-snapshot-id', snapshot.SnapshotId);
  await run('DescribeSnapshots', 'describe-snapshots');

  const vpc = await run('CreateVpc', 'create-vpc', '--cidr-block', '10.1.0.0/16', ...tags('vpc'));
  const vpcId = vpc.Vpc.VpcId as string;
  await run(
    'CreateSubnet',
    'create-subnet',
    '--vpc-id',
    vpcId,
    '--cidr-block',
    '10.1.1.0/24',
    ...tags('subnet'),
  );
  await run(
    'DescribeVpcAttribute',
    'describe-vpc-attribute',
    '--vpc-id',
    vpcId,
    '--attribute',
    'enableDnsHostnames',
  );
  await run('DescribeAvailabilityZones', 'describe-availability-zones');
  await run('DescribeRegions', 'describe-regions');

  // The routing fakes hold VPCs of their own: the second one, with a subnet and a main table.
  const [routingVpc, routingSubnet] = ['vpc-00000000000000002', 'subnet-00000000000000002'];
  const igw = await run(
    'CreateInternetGateway',
    'create-internet-gateway',
    ...tags('internet-gateway'),
  );
  const igwId = igw.InternetGateway.InternetGatewayId as string;
  await kumoJson(endpoint, [
    'attach-internet-gateway',
    '--internet-gateway-id',
    igwId,
    '--vpc-id',
    routingVpc,
  ]);
  await run('DescribeInternetGateways', 'describe-internet-gateways');
  const table = await run(
    'CreateRouteTable',
    'create-route-table',
    '--vpc-id',
    routingVpc,
    ...tags('route-table'),
  );
  const rtbId = table.RouteTable.RouteTableId as string;
  await run(
    'CreateRoute',
    'create-route',
    '--route-table-id',
    rtbId,
    '--destination-cidr-block',
    '0.0.0.0/0',
    '--gateway-id',
    igwId,
  );
  const spareTable = await run('CreateRouteTable', 'create-route-table', '--vpc-id', routingVpc);
  const association = await run(
    'AssociateRouteTable',
    'associate-route-table',
    '--route-table-id',
    spareTable.RouteTable.RouteTableId,
    '--subnet-id',
    routingSubnet,
  );
  await run(
    'ReplaceRouteTableAssociation',
    'replace-route-table-association',
    '--association-id',
    association.AssociationId,
    '--route-table-id',
    rtbId,
  );
  await run('DescribeRouteTables', 'describe-route-tables');
  const eip = await run(
    'AllocateAddress',
    'allocate-address',
    '--domain',
    'vpc',
    ...tags('elastic-ip'),
  );
  await run(
    'AssociateAddress',
    'associate-address',
    '--allocation-id',
    eip.AllocationId,
    '--instance-id',
    first!,
  );
  await run('DescribeAddresses', 'describe-addresses');

  // Last, so they show everything made above.
  await run('DescribeInstances', 'describe-instances');
  await run('DescribeInstanceStatus', 'describe-instance-status', '--include-all-instances');
  const disk = join(api.dir, 'disk.raw');
  writeFileSync(disk, Buffer.alloc(4096));
  await run('RegisterImage', 'register-image', '--name', 'uploaded', '--image-location', disk);
  await run('DescribeImages', 'describe-images');
  await run('DeregisterImage', 'deregister-image', '--image-id', copy.ImageId);
  await run('DescribeInstanceTypes', 'describe-instance-types');
  await run('DescribeVpcs', 'describe-vpcs');
  await run('DescribeSubnets', 'describe-subnets');
  await run('DescribeTags', 'describe-tags');
  await run('DetachVolume', 'detach-volume', '--volume-id', volumeId);
  await run('TerminateInstances', 'terminate-instances', '--instance-ids', second!);
  return cases;
}
