/**
 * botocore's paginators-1.json entries for the EC2 calls kumo pages. Each one takes NextToken and
 * MaxResults (--page-size) and answers with NextToken; `resultKey` holds the items that
 * --max-items counts and that aws-cli merges across pages. test/unit/cli/paging-aws.test.ts
 * checks these against botocore's file.
 */
export interface Paginator {
  readonly operation: string;
  readonly resultKey: string;
}

export const PAGINATORS = {
  DescribeInstances: { operation: 'DescribeInstances', resultKey: 'Reservations' },
  DescribeInstanceStatus: { operation: 'DescribeInstanceStatus', resultKey: 'InstanceStatuses' },
  DescribeImages: { operation: 'DescribeImages', resultKey: 'Images' },
  DescribeVolumes: { operation: 'DescribeVolumes', resultKey: 'Volumes' },
  DescribeVolumesModifications: {
    operation: 'DescribeVolumesModifications',
    resultKey: 'VolumesModifications',
  },
  DescribeSnapshots: { operation: 'DescribeSnapshots', resultKey: 'Snapshots' },
  DescribeInstanceTypes: { operation: 'DescribeInstanceTypes', resultKey: 'InstanceTypes' },
  DescribeSecurityGroups: { operation: 'DescribeSecurityGroups', resultKey: 'SecurityGroups' },
  DescribeVpcs: { operation: 'DescribeVpcs', resultKey: 'Vpcs' },
  DescribeSubnets: { operation: 'DescribeSubnets', resultKey: 'Subnets' },
  DescribeSecurityGroupRules: {
    operation: 'DescribeSecurityGroupRules',
    resultKey: 'SecurityGroupRules',
  },
  DescribeInternetGateways: {
    operation: 'DescribeInternetGateways',
    resultKey: 'InternetGateways',
  },
  DescribeRouteTables: { operation: 'DescribeRouteTables', resultKey: 'RouteTables' },
  DescribeTags: { operation: 'DescribeTags', resultKey: 'Tags' },
} as const satisfies Record<string, Paginator>;
