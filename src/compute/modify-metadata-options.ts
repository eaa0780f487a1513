import { dryRunOperation, incorrectState, invalidParameter } from '../core/errors.js';
import type { ComputeDeps } from './deps.js';
import { getInstances } from './describe-instances.js';
import type { Instance } from './instance.js';
import type { MutationOptions } from './instance-lifecycle.js';
import {
  assertIpv4Only,
  mergeMetadataOptions,
  metadataOptionsOf,
  type MetadataOptions,
  type MetadataOptionsRequest,
} from './metadata-options.js';

/**
 * ModifyInstanceMetadataOptions: running or stopped instances (not terminated ones, as in EC2).
 * The metadata service reads the options at every request, so the change is in force as soon as
 * it is stored; `apply` puts host-side parts in place (the response TTL rules).
 */
export async function modifyInstanceMetadataOptions(
  deps: ComputeDeps,
  id: string,
  req: MetadataOptionsRequest & { readonly httpProtocolIpv6?: string },
  options: MutationOptions & { readonly apply?: (i: Instance) => Promise<void> } = {},
): Promise<MetadataOptions> {
  const { httpProtocolIpv6, ...fields } = req;
  assertIpv4Only(httpProtocolIpv6);
  if (Object.values(fields).every((v) => v === undefined || v === '') && !httpProtocolIpv6) {
    throw invalidParameter(
      'Pass at least one option to change (--http-tokens, --http-endpoint, --http-put-response-hop-limit or --instance-metadata-tags)',
      'MissingParameter',
    );
  }
  const check = (i: Instance): MetadataOptions => {
    if (i.state === 'terminated' || i.state === 'shutting-down') {
      throw incorrectState(
        `The instance '${i.id}' is ${i.state}; its metadata options can no longer change`,
      );
    }
    return mergeMetadataOptions(metadataOptionsOf(i), fields);
  };
  const [found] = getInstances(deps.instances, [id]);
  if (!found) throw new Error(`unreachable: ${id}`);
  check(found);
  if (options.dryRun) throw dryRunOperation();
  const changed = await deps.locks.run(id, () => {
    const i = deps.instances.get(id) ?? found;
    const next = { ...i, metadataOptions: check(i) };
    deps.instances.put(next);
    return Promise.resolve(next);
  });
  await options.apply?.(changed);
  return metadataOptionsOf(changed);
}
