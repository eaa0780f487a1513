import { describe, expect, it } from 'vitest';
import { launchNetwork } from '../../../src/compute/launch-network.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('launchNetwork', () => {
  it('takes the instance-level options as they are', () => {
    expect(
      launchNetwork({
        subnetId: 'subnet-1',
        securityGroupIds: ['sg-1'],
        privateIpAddress: '10.0.1.9',
        maxCount: 1,
      }),
    ).toEqual({
      subnetId: 'subnet-1',
      groups: { ids: ['sg-1'], names: [] },
      placement: { privateIp: '10.0.1.9' },
    });
  });

  it('takes one interface at DeviceIndex 0 instead', () => {
    expect(
      launchNetwork({
        maxCount: 1,
        networkInterfaces: [
          {
            deviceIndex: 0,
            subnetId: 'subnet-2',
            privateIpAddress: '10.0.2.9',
            groups: ['sg-2'],
            associatePublicIpAddress: true,
          },
        ],
      }),
    ).toEqual({
      subnetId: 'subnet-2',
      groups: { ids: ['sg-2'], names: [] },
      placement: { privateIp: '10.0.2.9', associatePublicIp: true },
    });
  });

  it.each([
    [{ subnetId: 'subnet-1' }, 'InvalidParameterCombination'],
    [{ securityGroupIds: ['sg-1'] }, 'InvalidParameterCombination'],
    [{ privateIpAddress: '10.0.1.9' }, 'InvalidParameterCombination'],
  ])('refuses interfaces together with instance-level %j', (extra, code) => {
    expect(
      codeOf(() =>
        launchNetwork({ ...extra, maxCount: 1, networkInterfaces: [{ deviceIndex: 0 }] }),
      ),
    ).toBe(code);
  });

  it.each([
    [[{ deviceIndex: 0 }, { deviceIndex: 1 }]],
    [[{ deviceIndex: 1 }]],
    [[{}]],
    [[{ deviceIndex: 0, networkInterfaceId: 'eni-1' }]],
    [[{ deviceIndex: 0, deleteOnTermination: false }]],
  ])('refuses what kumo does not offer: %j', (networkInterfaces) => {
    expect(codeOf(() => launchNetwork({ maxCount: 1, networkInterfaces }))).toBe(
      'InvalidParameterValue',
    );
  });

  it('gives a fixed address to one instance only', () => {
    expect(codeOf(() => launchNetwork({ privateIpAddress: '10.0.1.9', maxCount: 2 }))).toBe(
      'InvalidParameterCombination',
    );
    expect(
      codeOf(() =>
        launchNetwork({
          maxCount: 3,
          networkInterfaces: [{ deviceIndex: 0, privateIpAddress: '10.0.1.9' }],
        }),
      ),
    ).toBe('InvalidParameterCombination');
  });
});
