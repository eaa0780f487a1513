import { createHash } from 'node:crypto';

/**
 * The SMBIOS system identity EC2 gives its instances, so stock guests know where they run:
 * cloud-init's ds-identify and its EC2 datasource call a machine AWS when the system UUID and
 * serial are equal and start with "ec2" (ds-identify's ec2_identify_platform, DataSourceEc2's
 * identify_aws); sys_vendor "Amazon EC2" and the instance type as product name are what EC2's
 * Nitro instances report.
 */
export function ec2SystemUuid(instanceId: string): string {
  // Stable per instance (the guest sees the same machine across stop/start), unique enough.
  const hex = 'ec2' + createHash('sha256').update(instanceId).digest('hex').slice(0, 29);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}

/** QEMU's -smbios argument for type 1 (system information); values need no escaping. */
export function ec2SmbiosArgs(instanceId: string, instanceType: string | undefined): string[] {
  if (!/^[A-Za-z0-9.-]*$/.test(instanceType ?? '')) {
    throw new Error(`instance type ${JSON.stringify(instanceType)} cannot go into SMBIOS`);
  }
  const uuid = ec2SystemUuid(instanceId);
  const product = instanceType ? `,product=${instanceType}` : '';
  return ['-smbios', `type=1,manufacturer=Amazon EC2${product},serial=${uuid},uuid=${uuid}`];
}
