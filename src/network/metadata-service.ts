import type { Instance } from '../compute/instance.js';
import { privateHostname } from './naming.js';
import { renderMetadata, type MetadataResponse } from './metadata.js';

/** Finds the instance behind a metadata request: its VPC and its (anti-spoofed) source address. */
export interface InstanceLookup {
  byPrivateIp(vpcId: string, ip: string): Instance | undefined;
}

const FORBIDDEN: MetadataResponse = { status: 403, contentType: 'text/plain', body: 'Forbidden\n' };

/**
 * Answers metadata requests. Identity comes only from where the packet came from (the VPC the
 * proxy serves and the source address the anti-spoofing rules vouch for), never from headers.
 */
export class MetadataService {
  constructor(
    private readonly lookup: InstanceLookup,
    private readonly settings: { readonly domain: string; readonly region: string },
  ) {}

  handle(vpcId: string, sourceIp: string, method: string, path: string): MetadataResponse {
    if (method !== 'GET' && method !== 'HEAD') {
      return { status: 405, contentType: 'text/plain', body: 'Method Not Allowed\n' };
    }
    const instance = this.lookup.byPrivateIp(vpcId, sourceIp);
    if (!instance?.network || instance.state === 'terminated') return FORBIDDEN;
    return renderMetadata(
      {
        instanceId: instance.id,
        imageId: instance.imageId,
        instanceType: instance.instanceType,
        reservationId: instance.reservationId,
        privateIp: instance.network.privateIp,
        publicIp: instance.network.publicIp,
        mac: instance.network.mac,
        localHostname: privateHostname(instance.network.privateIp, this.settings.domain),
        keyName: instance.keyName,
        publicKey: instance.publicKey,
        userData: instance.userData,
        region: this.settings.region,
        availabilityZone: `${this.settings.region}a`,
        launchTime: instance.launchTime,
      },
      path,
    );
  }
}
