import type { MetadataOptions } from '../compute/metadata-options.js';
import { modifyInstanceMetadataOptions } from '../compute/modify-metadata-options.js';
import type { Logger } from '../core/logger.js';
import type {
  InstanceMetadataOptions,
  InstanceMetadataOptionsRequest,
  InstancesServer,
} from '../gen/kumo/v1/instances.js';
import type { ApiContext } from './context.js';
import { unary } from './unary.js';

/** EC2's InstanceMetadataOptions shape of the options in force (or being put in force). */
export function metadataOptionsToProto(
  o: MetadataOptions,
  state: 'pending' | 'applied' = 'applied',
): InstanceMetadataOptions {
  return {
    state,
    httpTokens: o.httpTokens,
    httpPutResponseHopLimit: o.httpPutResponseHopLimit,
    httpEndpoint: o.httpEndpoint,
    httpProtocolIpv6: 'disabled',
    instanceMetadataTags: o.instanceMetadataTags,
  };
}

/** A request's fields in domain form (unset stays undefined). */
export const metadataOptionsRequest = (r: InstanceMetadataOptionsRequest | undefined) => ({
  httpTokens: r?.httpTokens || undefined,
  httpEndpoint: r?.httpEndpoint || undefined,
  httpPutResponseHopLimit: r?.httpPutResponseHopLimit,
  instanceMetadataTags: r?.instanceMetadataTags || undefined,
  httpProtocolIpv6: r?.httpProtocolIpv6 || undefined,
});

/** ModifyInstanceMetadataOptions, part of the Instances service. */
export function metadataOptionsHandlers(
  ctx: ApiContext,
  logger: Logger,
): Pick<InstancesServer, 'modifyInstanceMetadataOptions'> {
  return {
    modifyInstanceMetadataOptions: unary(
      'ModifyInstanceMetadataOptions',
      logger,
      async (req) => {
        const options = await modifyInstanceMetadataOptions(
          ctx.compute,
          req.instanceId,
          metadataOptionsRequest(req.options),
          { dryRun: req.dryRun, apply: ctx.applyMetadataOptions },
        );
        // EC2 answers "pending"; describe-instances shows "applied" once in force (here: at once).
        return {
          instanceId: req.instanceId,
          instanceMetadataOptions: metadataOptionsToProto(options, 'pending'),
        };
      },
      ctx.shutdownSignal,
    ),
  };
}
