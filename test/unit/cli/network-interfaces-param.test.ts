import { describe, expect, it } from 'vitest';
import { parseNetworkInterfaces } from '../../../src/cli/network-interfaces-param.js';

describe('run-instances --network-interfaces', () => {
  it('reads the shorthand aws-cli takes', () => {
    expect(
      parseNetworkInterfaces([
        'DeviceIndex=0,SubnetId=subnet-1,PrivateIpAddress=10.0.1.9,Groups=sg-1,sg-2,AssociatePublicIpAddress=true',
      ]),
    ).toEqual([
      {
        associatePublicIpAddress: true,
        deleteOnTermination: undefined,
        description: '',
        deviceIndex: 0,
        groups: ['sg-1', 'sg-2'],
        networkInterfaceId: '',
        privateIpAddress: '10.0.1.9',
        subnetId: 'subnet-1',
      },
    ]);
  });

  it('reads the JSON form', () => {
    const [ni] = parseNetworkInterfaces([
      '[{"DeviceIndex":0,"SubnetId":"subnet-1","Groups":["sg-1"],"AssociatePublicIpAddress":false}]',
    ]);
    expect(ni).toMatchObject({
      deviceIndex: 0,
      subnetId: 'subnet-1',
      groups: ['sg-1'],
      associatePublicIpAddress: false,
    });
  });

  it('refuses unknown keys and a device index that is not a number', () => {
    expect(() => parseNetworkInterfaces(['DeviceIndex=0,Bogus=1'])).toThrow(/unknown key 'Bogus'/);
    expect(() => parseNetworkInterfaces(['DeviceIndex=first'])).toThrow(/whole number/);
  });
});
