/**
 * EC2-shaped responses as kumo prints them (PascalCase, empty fields left out), shared by the
 * tests that compare kumo's output with aws-cli's.
 */

const tags = (...pairs: [string, string][]) => pairs.map(([Key, Value]) => ({ Key, Value }));

function instance(id: string, index: number, state: [number, string], extra: object = {}) {
  const ip = `172.31.0.${index + 5}`;
  return {
    AmiLaunchIndex: index,
    ImageId: 'ami-0a1b2c3d4e5f60718',
    InstanceId: id,
    InstanceType: 't3.micro',
    KeyName: 'me',
    LaunchTime: '2026-01-02T03:04:05.000Z',
    Placement: { AvailabilityZone: 'kumo-1a', Tenancy: 'default' },
    PrivateDnsName: `ip-${ip.replace(/\./g, '-')}.kumo.internal`,
    PrivateIpAddress: ip,
    State: { Code: state[0], Name: state[1] },
    SubnetId: 'subnet-0123456789abcdef0',
    VpcId: 'vpc-0123456789abcdef0',
    Architecture: 'x86_64',
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/vda',
        Ebs: {
          AttachTime: '2026-01-02T03:04:05.000Z',
          DeleteOnTermination: true,
          Status: 'attached',
        },
      },
    ],
    ClientToken: '0f8fad5b-d9cb-469f-a165-70867728950e',
    Hypervisor: 'qemu',
    NetworkInterfaces: [
      {
        Attachment: {
          AttachmentId: `eni-attach-${id.slice(2)}`,
          DeviceIndex: 0,
          Status: 'attached',
        },
        Groups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'default' }],
        MacAddress: '02:00:00:00:00:05',
        NetworkInterfaceId: `eni-${id.slice(2)}`,
        PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }],
        SourceDestCheck: true,
      },
    ],
    RootDeviceName: '/dev/vda',
    SourceDestCheck: true,
    CpuOptions: { CoreCount: 1, ThreadsPerCore: 1 },
    MemoryMib: 1024,
    ...extra,
  };
}

/** Two instances in one reservation: tags (one in Japanese and Russian), nested state. */
export const DESCRIBE_INSTANCES = {
  Reservations: [
    {
      Groups: [],
      Instances: [
        instance('i-0123456789abcdef0', 0, [16, 'running'], {
          PublicIpAddress: '100.80.0.5',
          Tags: tags(['Name', 'web'], ['env', 'prod']),
        }),
        instance('i-0fedcba9876543210', 1, [80, 'stopped'], {
          StateReason: {
            Code: 'Client.UserInitiatedShutdown',
            Message: 'Client.UserInitiatedShutdown: User initiated shutdown',
          },
          StateTransitionReason: 'User initiated (2026-01-02T04:00:00.000Z)',
          Tags: tags(['Name', 'データベース'], ['owner', 'Дмитрий']),
        }),
      ],
      OwnerId: 'kumo',
      ReservationId: 'r-0123456789abcdef0',
    },
  ],
};

/** What run-instances prints: the reservation itself, its instance still pending. */
export const RUN_INSTANCES = {
  Groups: [],
  Instances: [
    instance('i-0aaaaaaaaaaaaaaaa', 0, [0, 'pending'], {
      StateReason: { Code: 'pending', Message: 'pending' },
    }),
  ],
  OwnerId: 'kumo',
  ReservationId: 'r-0bbbbbbbbbbbbbbbb',
};

export const DESCRIBE_KEY_PAIRS = {
  KeyPairs: [
    {
      KeyPairId: 'key-0123456789abcdef0',
      KeyFingerprint: 'wHSbm5XzsaJ5Vr8P4MM2GN4iUZYd5Cc8Pl7NdC8mYgI=',
      KeyName: 'me',
      KeyType: 'ed25519',
      Tags: tags(['team', 'infra']),
      CreateTime: '2026-01-02T03:04:05.000Z',
    },
    {
      KeyPairId: 'key-0fedcba9876543210',
      KeyFingerprint: '1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f',
      KeyName: 'deploy',
      KeyType: 'rsa',
      CreateTime: '2026-01-03T00:00:00.000Z',
    },
  ],
};

export const NO_KEY_PAIRS = { KeyPairs: [] };

export const START_INSTANCES = {
  StartingInstances: [
    {
      CurrentState: { Code: 0, Name: 'pending' },
      InstanceId: 'i-0123456789abcdef0',
      PreviousState: { Code: 80, Name: 'stopped' },
    },
  ],
};

/** One flat object with many scalars: a section wider than 80 columns. */
export const DESCRIBE_HOST = {
  Host: {
    Accelerator: 'tcg',
    AcceleratorReason: 'KVM is PVM here: standard guests cannot use it, so TCG',
    AllocatedMemoryMib: 2048,
    AllocatedVcpus: 3,
    CapacityMemoryMib: 20480,
    CgroupVersion: 1,
    CpuCount: 2,
    Hostname: 'kumo-host',
    QemuVersion: '7.2.19',
    RunningInstances: 2,
  },
};
