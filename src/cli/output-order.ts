/**
 * The order of a response's top-level keys in aws-cli's JSON: botocore parses EC2's XML into the
 * output shape's members in the model's order (data/ec2/2016-11-15/service-2.json), so
 * `--no-paginate` prints NextToken before Reservations, and create-key-pair starts with
 * KeyPairId. test/unit/cli/output-order-aws.test.ts checks these lists against botocore's model.
 * Nested structures keep the order of kumo's .proto fields.
 */
export const OUTPUT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RunInstances: ['ReservationId', 'OwnerId', 'RequesterId', 'Groups', 'Instances'],
  DescribeInstances: ['NextToken', 'Reservations'],
  StartInstances: ['StartingInstances'],
  StopInstances: ['StoppingInstances'],
  TerminateInstances: ['TerminatingInstances'],
  GetConsoleOutput: ['InstanceId', 'Timestamp', 'Output'],
  DescribeInstanceStatus: ['InstanceStatuses', 'NextToken'],
  DescribeInstanceTypes: ['InstanceTypes', 'NextToken'],
  DescribeImages: ['NextToken', 'Images'],
  RegisterImage: ['ImageId'],
  DeregisterImage: ['Return', 'DeleteSnapshotResults'],
  CreateImage: ['ImageId'],
  CopyImage: ['ImageId'],
  CreateKeyPair: ['KeyPairId', 'Tags', 'KeyName', 'KeyFingerprint', 'KeyMaterial'],
  ImportKeyPair: ['KeyFingerprint', 'KeyName', 'KeyPairId', 'Tags'],
  DescribeKeyPairs: ['KeyPairs'],
  DeleteKeyPair: ['Return', 'KeyPairId'],
  CreateSecurityGroup: ['GroupId', 'Tags', 'SecurityGroupArn'],
  DescribeSecurityGroups: ['NextToken', 'SecurityGroups'],
  DeleteSecurityGroup: ['Return', 'GroupId'],
  AuthorizeSecurityGroupIngress: ['Return', 'SecurityGroupRules'],
  AuthorizeSecurityGroupEgress: ['Return', 'SecurityGroupRules'],
  RevokeSecurityGroupIngress: ['Return', 'UnknownIpPermissions', 'RevokedSecurityGroupRules'],
  RevokeSecurityGroupEgress: ['Return', 'UnknownIpPermissions', 'RevokedSecurityGroupRules'],
  DescribeSecurityGroupRules: ['SecurityGroupRules', 'NextToken'],
  CreateVolume: [
    'AvailabilityZoneId',
    'OutpostArn',
    'SourceVolumeId',
    'Iops',
    'Tags',
    'VolumeType',
    'FastRestored',
    'MultiAttachEnabled',
    'Throughput',
    'SseType',
    'Operator',
    'VolumeInitializationRate',
    'VolumeId',
    'Size',
    'SnapshotId',
    'AvailabilityZone',
    'State',
    'CreateTime',
    'Attachments',
    'Encrypted',
    'KmsKeyId',
  ],
  DescribeVolumes: ['NextToken', 'Volumes'],
  AttachVolume: [
    'DeleteOnTermination',
    'AssociatedResource',
    'InstanceOwningService',
    'EbsCardIndex',
    'VolumeId',
    'InstanceId',
    'Device',
    'State',
    'AttachTime',
  ],
  DetachVolume: [
    'DeleteOnTermination',
    'AssociatedResource',
    'InstanceOwningService',
    'EbsCardIndex',
    'VolumeId',
    'InstanceId',
    'Device',
    'State',
    'AttachTime',
  ],
  CreateSnapshot: [
    'OwnerAlias',
    'OutpostArn',
    'Tags',
    'StorageTier',
    'RestoreExpiryTime',
    'SseType',
    'AvailabilityZone',
    'TransferType',
    'CompletionDurationMinutes',
    'CompletionTime',
    'FullSnapshotSizeInBytes',
    'SnapshotId',
    'VolumeId',
    'State',
    'StateMessage',
    'StartTime',
    'Progress',
    'OwnerId',
    'Description',
    'VolumeSize',
    'Encrypted',
    'KmsKeyId',
    'DataEncryptionKeyId',
  ],
  ModifyVolume: ['VolumeModification'],
  ModifyInstanceMetadataOptions: ['InstanceId', 'InstanceMetadataOptions'],
  DescribeVolumesModifications: ['NextToken', 'VolumesModifications'],
  DescribeSnapshots: ['NextToken', 'Snapshots'],
  CopySnapshot: ['Tags', 'SnapshotId'],
};

/** `response` with its top-level keys in `operation`'s model order; other keys follow as they are. */
export function inModelOrder(operation: string, response: unknown): unknown {
  const order = OUTPUT_MEMBERS[operation];
  if (order === undefined || typeof response !== 'object' || response === null) return response;
  if (Array.isArray(response)) return response;
  const source = response as Record<string, unknown>;
  const keys = [
    ...order.filter((k) => k in source),
    ...Object.keys(source).filter((k) => !order.includes(k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, source[k]]));
}
