import { describe, expect, it } from 'vitest';
import { pascalKey, toPascalCase } from '../../../src/cli/pascal-case.js';

describe('toPascalCase', () => {
  it('renames keys recursively, with EC2 spellings where they differ', () => {
    expect(pascalKey('vCpuInfo')).toBe('VCpuInfo');
    expect(pascalKey('defaultVcpus')).toBe('DefaultVCpus');
    expect(pascalKey('sizeInMib')).toBe('SizeInMiB');
    expect(pascalKey('totalSizeInGb')).toBe('TotalSizeInGB');
    expect(pascalKey('allocatedVcpus')).toBe('AllocatedVcpus');
    expect(
      toPascalCase({
        instanceTypes: [
          {
            instanceType: 't3.micro',
            vCpuInfo: { defaultVcpus: 2, defaultCores: 1, defaultThreadsPerCore: 2 },
            memoryInfo: { sizeInMib: 1024 },
            instanceStorageSupported: false,
            instanceStorageInfo: undefined,
          },
        ],
      }),
    ).toEqual({
      InstanceTypes: [
        {
          InstanceType: 't3.micro',
          VCpuInfo: { DefaultVCpus: 2, DefaultCores: 1, DefaultThreadsPerCore: 2 },
          MemoryInfo: { SizeInMiB: 1024 },
          InstanceStorageSupported: false,
        },
      ],
    });
  });

  it('turns Dates into ISO strings and bytes into base64', () => {
    expect(
      toPascalCase({ launchTime: new Date('2026-01-02T03:04:05Z'), blob: Buffer.from('hi') }),
    ).toEqual({ LaunchTime: '2026-01-02T03:04:05.000Z', Blob: 'aGk=' });
  });

  it('omits absent fields inside resources but keeps zero, false and top-level lists', () => {
    const out = toPascalCase({
      reservations: [
        {
          reservationId: 'r-1',
          ownerId: '',
          instances: [
            {
              instanceId: 'i-1',
              publicIpAddress: '',
              state: { code: 0, name: 'pending' },
              stateReason: { code: '', message: '' },
              cpuOptions: undefined,
              tags: [],
              amiLaunchIndex: 0,
            },
          ],
        },
      ],
    });
    expect(out).toEqual({
      Reservations: [
        {
          ReservationId: 'r-1',
          Instances: [
            { InstanceId: 'i-1', State: { Code: 0, Name: 'pending' }, AmiLaunchIndex: 0 },
          ],
        },
      ],
    });
    expect(toPascalCase({ reservations: [] })).toEqual({ Reservations: [] });
    expect(toPascalCase({ keyPairs: [], nextToken: '' })).toEqual({ KeyPairs: [] });
  });

  it('keeps a tag whose value is empty, as EC2 does', () => {
    expect(toPascalCase({ tags: [{ key: 'flag', value: '' }] })).toEqual({
      Tags: [{ Key: 'flag', Value: '' }],
    });
  });
});
