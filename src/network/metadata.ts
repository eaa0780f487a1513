/**
 * The EC2 instance metadata tree (IMDS paths the default image and cloud-init read), rendered
 * from what kumod knows about the instance that asked. Pure: the HTTP side lives in src/api.
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
  readonly mac: string;
  readonly localHostname: string;
  readonly keyName?: string | undefined;
  readonly publicKey?: string | undefined;
  readonly userData?: Uint8Array | undefined;
  readonly region: string;
  readonly availabilityZone: string;
  readonly launchTime: Date;
  /** The names of the instance's security groups (meta-data/security-groups). */
  readonly securityGroups?: readonly string[] | undefined;
}

export interface MetadataResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

const text = (body: string): MetadataResponse => ({ status: 200, contentType: 'text/plain', body });
const NOT_FOUND: MetadataResponse = { status: 404, contentType: 'text/plain', body: 'Not Found\n' };

/** Leaves of latest/meta-data/; directories end in '/'. */
function metaData(ctx: MetadataContext): Map<string, string> {
  const m = new Map<string, string>([
    ['ami-id', ctx.imageId],
    ['ami-launch-index', String(ctx.launchIndex)],
    ['hostname', ctx.localHostname],
    ['instance-id', ctx.instanceId],
    ['instance-type', ctx.instanceType],
    ['local-hostname', ctx.localHostname],
    ['local-ipv4', ctx.privateIp],
    ['mac', ctx.mac],
    ['reservation-id', ctx.reservationId],
    ['placement/availability-zone', ctx.availabilityZone],
    ['placement/region', ctx.region],
  ]);
  if (ctx.publicIp) m.set('public-ipv4', ctx.publicIp);
  if (ctx.securityGroups && ctx.securityGroups.length > 0) {
    m.set('security-groups', ctx.securityGroups.join('\n'));
  }
  if (ctx.publicKey) {
    m.set('public-keys/0/openssh-key', ctx.publicKey.trim() + '\n');
  }
  return m;
}

/** The listing of a metadata directory: immediate children, sub-directories with a trailing '/'. */
function listing(leaves: Iterable<string>, dir: string): string | undefined {
  const children = new Set<string>();
  for (const leaf of leaves) {
    if (!leaf.startsWith(dir)) continue;
    const rest = leaf.slice(dir.length);
    const slash = rest.indexOf('/');
    children.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  return children.size === 0 ? undefined : [...children].sort().join('\n');
}

export function renderMetadata(ctx: MetadataContext, rawPath: string): MetadataResponse {
  const path = rawPath.split('?')[0]?.replace(/\/{2,}/g, '/') ?? '';
  if (path === '/') return text('latest\n');
  if (path === '/latest' || path === '/latest/')
    return text('api/\ndynamic\nmeta-data\nuser-data\n');
  if (path === '/latest/user-data') {
    return ctx.userData
      ? { status: 200, contentType: 'application/octet-stream', body: ctx.userData }
      : NOT_FOUND;
  }
  if (path === '/latest/dynamic/instance-identity/document') {
    return {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(
        {
          instanceId: ctx.instanceId,
          imageId: ctx.imageId,
          instanceType: ctx.instanceType,
          privateIp: ctx.privateIp,
          region: ctx.region,
          availabilityZone: ctx.availabilityZone,
          architecture: 'x86_64',
          pendingTime: ctx.launchTime.toISOString(),
          version: '2017-09-30',
        },
        null,
        2,
      ),
    };
  }
  const prefix = '/latest/meta-data/';
  if (path === '/latest/meta-data') return text(listing(metaData(ctx).keys(), '') ?? '');
  if (!path.startsWith(prefix)) return NOT_FOUND;
  const rel = path.slice(prefix.length);
  const leaves = metaData(ctx);
  if (rel === 'public-keys/' || rel === 'public-keys') {
    return ctx.publicKey ? text(`0=${ctx.keyName ?? 'key'}`) : NOT_FOUND;
  }
  const leaf = leaves.get(rel.replace(/\/$/, ''));
  if (leaf !== undefined && !rel.endsWith('/')) return text(leaf);
  const dir = rel === '' || rel.endsWith('/') ? rel : `${rel}/`;
  const list = listing(leaves.keys(), dir);
  return list === undefined ? NOT_FOUND : text(list);
}
