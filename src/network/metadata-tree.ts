/**
 * The leaves of EC2's instance metadata tree for one instance: path under meta-data/ -> value.
 * Pure; src/network/metadata.ts routes requests and lists directories from these paths.
 */
export interface MetadataContext {
  readonly instanceId: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly reservationId: string;
  /** The instance's position in its launch (0 for the first of `--count N`): ami-launch-index. */
  readonly launchIndex: number;
  readonly privateIp: string;
  readonly publicIp?: string | undefined;
  /** Only when the instance has a public DNS name (kumo gives none today, as describe shows). */
  readonly publicHostname?: string | undefined;
  readonly mac: string;
  readonly localHostname: string;
  readonly keyName?: string | undefined;
  readonly publicKey?: string | undefined;
  readonly userData?: Uint8Array | undefined;
  readonly region: string;
  readonly availabilityZone: string;
  readonly launchTime: Date;
  /** The account that owns the instance (describe's OwnerId). */
  readonly ownerId?: string | undefined;
  /** The names of the instance's security groups (meta-data/security-groups). */
  readonly securityGroups?: readonly string[] | undefined;
  /** Their ids, in the same order (…/macs/<mac>/security-group-ids). */
  readonly securityGroupIds?: readonly string[] | undefined;
  /** The primary interface's place in the VPC (…/network/interfaces/macs/<mac>/). */
  readonly interface?:
    | {
        readonly id: string;
        readonly subnetId: string;
        readonly subnetCidr: string;
        readonly vpcId: string;
        /** The VPC's CIDR blocks, primary first. */
        readonly vpcCidrs: readonly string[];
      }
    | undefined;
  /** The root device name (e.g. /dev/vda) and the other devices attached (block-device-mapping/). */
  readonly blockDevices?: { readonly root: string; readonly others: readonly string[] } | undefined;
  /** The instance's tags, served under tags/instance/ (InstanceMetadataTags=enabled only). */
  readonly tags?: readonly { readonly key: string; readonly value: string }[] | undefined;
}

/** The EC2 metadata tree's leaves; a path with '/' lives in a directory. Insertion order is free. */
export function metadataLeaves(ctx: MetadataContext): Map<string, string> {
  const m = new Map<string, string>([
    ['ami-id', ctx.imageId],
    ['ami-launch-index', String(ctx.launchIndex)],
    ['ami-manifest-path', '(unknown)'],
    ['hostname', ctx.localHostname],
    ['instance-action', 'none'],
    ['instance-id', ctx.instanceId],
    ['instance-life-cycle', 'on-demand'],
    ['instance-type', ctx.instanceType],
    ['local-hostname', ctx.localHostname],
    ['local-ipv4', ctx.privateIp],
    ['mac', ctx.mac],
    ['profile', 'default-hvm'],
    ['reservation-id', ctx.reservationId],
    ['placement/availability-zone', ctx.availabilityZone],
    ['placement/region', ctx.region],
    ['services/domain', 'amazonaws.com'],
    ['services/partition', 'aws'],
  ]);
  if (ctx.publicIp) m.set('public-ipv4', ctx.publicIp);
  if (ctx.publicHostname) m.set('public-hostname', ctx.publicHostname);
  if (ctx.securityGroups && ctx.securityGroups.length > 0) {
    m.set('security-groups', ctx.securityGroups.join('\n'));
  }
  if (ctx.publicKey) m.set('public-keys/0/openssh-key', ctx.publicKey.trim() + '\n');
  if (ctx.blockDevices) {
    // EC2 names the root twice (ami: the image's root, root: the instance's) and the other
    // volumes ebs1..N by their short device names.
    m.set('block-device-mapping/ami', ctx.blockDevices.root);
    m.set('block-device-mapping/root', ctx.blockDevices.root);
    ctx.blockDevices.others.forEach((device, i) =>
      m.set(`block-device-mapping/ebs${i + 1}`, device.replace(/^\/dev\//, '')),
    );
  }
  if (ctx.interface) {
    const nic = `network/interfaces/macs/${ctx.mac}/`;
    const i = ctx.interface;
    const put = (k: string, v: string | undefined): void => {
      if (v !== undefined && v !== '') m.set(nic + k, v);
    };
    put('device-number', '0');
    put('interface-id', i.id);
    put('local-hostname', ctx.localHostname);
    put('local-ipv4s', ctx.privateIp);
    put('mac', ctx.mac);
    put('owner-id', ctx.ownerId);
    put('public-hostname', ctx.publicHostname);
    put('public-ipv4s', ctx.publicIp);
    if (ctx.publicIp) put(`ipv4-associations/${ctx.publicIp}`, ctx.privateIp);
    put('security-group-ids', ctx.securityGroupIds?.join('\n'));
    put('security-groups', ctx.securityGroups?.join('\n'));
    put('subnet-id', i.subnetId);
    put('subnet-ipv4-cidr-block', i.subnetCidr);
    put('vpc-id', i.vpcId);
    put('vpc-ipv4-cidr-block', i.vpcCidrs[0]);
    put('vpc-ipv4-cidr-blocks', i.vpcCidrs.join('\n'));
  }
  for (const tag of ctx.tags ?? []) {
    // EC2 refuses such keys on instances with tags in metadata; kumo leaves them out of the tree.
    if (!isMetadataTagKey(tag.key)) continue;
    m.set(`tags/instance/${tag.key}`, tag.value);
  }
  return m;
}

/** A tag key that can be a metadata path segment (EC2: no '/', no spaces, not '.' or '..'). */
export const isMetadataTagKey = (key: string): boolean =>
  key !== '' && key !== '.' && key !== '..' && !/[/\s=]/.test(key);

/**
 * The instance identity document: EC2's field set and order, pretty-printed as EC2 prints it
 * ("key" : value). Fields EC2 has but kumo cannot fill are null, as on EC2.
 */
export function identityDocument(ctx: MetadataContext): string {
  const doc: [string, unknown][] = [
    ['accountId', ctx.ownerId ?? ''],
    ['architecture', 'x86_64'],
    ['availabilityZone', ctx.availabilityZone],
    ['billingProducts', null],
    ['devpayProductCodes', null],
    ['marketplaceProductCodes', null],
    ['imageId', ctx.imageId],
    ['instanceId', ctx.instanceId],
    ['instanceType', ctx.instanceType],
    ['kernelId', null],
    ['pendingTime', ctx.launchTime.toISOString().replace(/\.\d{3}Z$/, 'Z')],
    ['privateIp', ctx.privateIp],
    ['ramdiskId', null],
    ['region', ctx.region],
    ['version', '2017-09-30'],
  ];
  const lines = doc.map(([k, v]) => `  ${JSON.stringify(k)} : ${JSON.stringify(v)}`);
  return `{\n${lines.join(',\n')}\n}`;
}
