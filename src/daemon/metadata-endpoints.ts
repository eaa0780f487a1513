import { MetadataEndpoint } from '../api/metadata-http.js';
import type { Logger } from '../core/logger.js';
import type { MetadataService } from '../network/metadata-service.js';
import type { VpcHooks } from '../network/vpc-deps.js';
import type { Vpc } from '../network/vpc.js';

/**
 * kumod's metadata sockets, one per VPC: served for every VPC at start-up, and for VPCs created
 * or deleted while it runs (as a VpcHooks).
 */
export class MetadataEndpoints implements VpcHooks {
  private readonly open = new Map<string, MetadataEndpoint>();

  constructor(
    private readonly metadata: MetadataService,
    private readonly socketOf: (vpc: Vpc) => string,
    private readonly logger: Logger,
  ) {}

  async created(vpc: Vpc): Promise<void> {
    if (this.open.has(vpc.id)) return;
    const endpoint = new MetadataEndpoint(vpc.id, this.metadata, this.logger);
    await endpoint.listen(this.socketOf(vpc));
    this.open.set(vpc.id, endpoint);
  }

  deleted(vpc: Vpc): Promise<void> {
    this.open.get(vpc.id)?.close();
    this.open.delete(vpc.id);
    return Promise.resolve();
  }

  closeAll(): void {
    for (const e of this.open.values()) e.close();
    this.open.clear();
  }
}
