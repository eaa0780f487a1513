import type { Instance } from '../compute/instance.js';
import { metadataOptionsOf } from '../compute/metadata-options.js';
import type { Clock } from '../core/clock.js';
import { OWNER_ID } from '../core/ids.js';
import { ImdsTokens, TOKEN_TTL_MAX, TOKEN_TTL_MIN } from './imds-tokens.js';
import { privateHostname, publicHostname } from './naming.js';
import { renderMetadata, type MetadataResponse } from './metadata.js';

/** Finds the instance behind a metadata request: its VPC and its (anti-spoofed) source address. */
export interface InstanceLookup {
  byPrivateIp(vpcId: string, ip: string): Instance | undefined;
}

/** What else the tree shows about an instance, looked up at each request (it changes). */
export interface MetadataLookups {
  /** The names and ids of the instance's security groups now (they change with --groups). */
  readonly groups?: (instanceId: string) => readonly { name: string; id: string }[];
  /** The CIDR blocks of a VPC, primary first. */
  readonly vpcCidrs?: (vpcId: string) => readonly string[];
  readonly subnetCidr?: (subnetId: string) => string | undefined;
  /** Device names of the instance's attached volumes, root first. */
  readonly devices?: (instanceId: string) => readonly string[];
  /** Whether a VPC gives public DNS names (its enableDnsHostnames). */
  readonly dnsHostnames?: (vpcId: string) => boolean;
}

/** One HTTP request to 169.254.169.254; header names in lower case (as node:http gives them). */
export interface MetadataRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

const plain = (status: number, body: string): MetadataResponse => ({
  status,
  contentType: 'text/plain',
  body,
});
const FORBIDDEN = plain(403, 'Forbidden\n');
const UNAUTHORIZED = plain(401, 'Unauthorized\n');
/** HttpEndpoint=disabled: the endpoint closes the connection without a byte (see MetadataEndpoint). */
export const NO_ANSWER: MetadataResponse = { ...plain(0, ''), drop: true };
const TOKEN_PATH = '/latest/api/token';
const TTL_HEADER = 'x-aws-ec2-metadata-token-ttl-seconds';
const TOKEN_HEADER = 'x-aws-ec2-metadata-token';

/**
 * Answers metadata requests. Identity comes only from where the packet came from (the VPC the
 * proxy serves and the source address the anti-spoofing rules vouch for), never from headers.
 */
export class MetadataService {
  constructor(
    private readonly lookup: InstanceLookup,
    private readonly settings: {
      readonly domain: string;
      readonly region: string;
      /** The domain of public DNS names (ec2-198-51-100-7.<publicDomain>). */
      readonly publicDomain?: string | undefined;
    },
    private readonly clock: Clock,
    private readonly tokens: ImdsTokens = new ImdsTokens(),
    private readonly lookups: MetadataLookups = {},
  ) {}

  /**
   * IMDSv1 and IMDSv2 as on EC2, per the instance's metadata options: a GET with a token is
   * answered only if the token is valid for this instance; a GET without one only while
   * HttpTokens is optional (401 when required); nothing at all while HttpEndpoint is disabled.
   */
  handle(vpcId: string, sourceIp: string, req: MetadataRequest): MetadataResponse {
    const path = req.path.split('?')[0] ?? '';
    const instance = this.asker(vpcId, sourceIp);
    const options = instance && metadataOptionsOf(instance);
    if (options?.httpEndpoint === 'disabled') return NO_ANSWER;
    if (req.method === 'PUT' && path === TOKEN_PATH) return this.issueToken(instance, req);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(405, 'Method Not Allowed\n');
    }
    if (!instance?.network || !options) return FORBIDDEN;
    const token = header(req, TOKEN_HEADER);
    if (
      token === undefined
        ? options.httpTokens === 'required'
        : !this.tokens.isValid(token, instance.id, this.clock.now())
    ) {
      return UNAUTHORIZED;
    }
    const net = instance.network;
    const groups = this.lookups.groups?.(instance.id) ?? [];
    const subnetCidr = this.lookups.subnetCidr?.(net.subnetId);
    const vpcCidrs = this.lookups.vpcCidrs?.(net.vpcId) ?? [];
    const devices = this.lookups.devices?.(instance.id) ?? [];
    return renderMetadata(
      {
        instanceId: instance.id,
        imageId: instance.imageId,
        instanceType: instance.instanceType,
        reservationId: instance.reservationId,
        launchIndex: instance.launchIndex,
        privateIp: instance.network.privateIp,
        publicIp: instance.network.publicIp,
        mac: instance.network.mac,
        localHostname: privateHostname(instance.network.privateIp, this.settings.domain),
        publicHostname: this.publicHostnameOf(net.vpcId, net.publicIp),
        keyName: instance.keyName,
        publicKey: instance.publicKey,
        userData: instance.userData,
        region: this.settings.region,
        availabilityZone: `${this.settings.region}a`,
        launchTime: instance.launchTime,
        ownerId: OWNER_ID,
        securityGroups: groups.map((g) => g.name),
        securityGroupIds: groups.map((g) => g.id),
        interface:
          subnetCidr !== undefined && vpcCidrs.length > 0
            ? { id: net.id, subnetId: net.subnetId, subnetCidr, vpcId: net.vpcId, vpcCidrs }
            : undefined,
        blockDevices:
          devices.length > 0 ? { root: devices[0] as string, others: devices.slice(1) } : undefined,
        tags: options.instanceMetadataTags === 'enabled' ? instance.tags : undefined,
      },
      req.path,
    );
  }

  /** EC2 names a public address only in a VPC with DNS hostnames. */
  private publicHostnameOf(vpcId: string, publicIp: string | undefined): string | undefined {
    const domain = this.settings.publicDomain;
    if (!publicIp || !domain || !this.lookups.dnsHostnames?.(vpcId)) return undefined;
    return publicHostname(publicIp, domain);
  }

  /** The live instance behind a request, if any: metadata is only for instances with a port. */
  private asker(vpcId: string, sourceIp: string): Instance | undefined {
    const instance = this.lookup.byPrivateIp(vpcId, sourceIp);
    return instance?.network && instance.state !== 'terminated' ? instance : undefined;
  }

  private issueToken(instance: Instance | undefined, req: MetadataRequest): MetadataResponse {
    // As on EC2: a PUT that went through a forwarding proxy is refused, so a proxy or SSRF bug
    // in the guest cannot mint tokens for whoever talks to it.
    if (header(req, 'x-forwarded-for') !== undefined) return FORBIDDEN;
    const raw = header(req, TTL_HEADER);
    const ttl = raw !== undefined && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(ttl >= TOKEN_TTL_MIN && ttl <= TOKEN_TTL_MAX)) {
      return plain(400, `Bad Request: ${TTL_HEADER} must be ${TOKEN_TTL_MIN}-${TOKEN_TTL_MAX}\n`);
    }
    if (!instance) return FORBIDDEN;
    return {
      ...plain(200, this.tokens.issue(instance.id, ttl, this.clock.now())),
      headers: { [TTL_HEADER]: String(ttl) },
    };
  }
}

function header(req: MetadataRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
