import { ipToInt } from '../../core/cidr.js';
import type { PortRulesSpec } from './specs.js';

/** kumo's chains for the metadata service's per-instance options (mangle and filter). */
export const METADATA_CHAIN = 'KUMO-METADATA';
const ADDRESS = '169.254.169.254/32';
const C = '-m comment --comment kumo';

/**
 * The rules that carry an instance's metadata options into the VPC namespace. Pure.
 *
 * - HttpPutResponseHopLimit: every packet the metadata service sends to the instance leaves with
 *   IP TTL = the hop limit (mangle OUTPUT), so a token cannot travel further than that many hops
 *   (a container behind the instance's bridge is one more). kumo limits every metadata response,
 *   not only the token's: the proxy pipes bytes without parsing them, and deciding per connection
 *   in the kernel is the only way a client cannot slip a token out (decision 0028).
 * - HttpEndpoint=disabled: a TCP reset to the instance's connection attempts (filter INPUT),
 *   i.e. "connection refused", before the proxy ever sees them.
 */
export function renderMetadataRules(ports: readonly PortRulesSpec[]): {
  readonly mangle: string[];
  readonly filter: string[];
} {
  const mangle: string[] = [];
  const filter: string[] = [];
  for (const port of ports) {
    const m = port.metadata;
    if (!m) continue;
    ipToInt(port.ip);
    if (!Number.isInteger(m.hopLimit) || m.hopLimit < 1 || m.hopLimit > 255) {
      throw new Error(`metadata hop limit of ${port.ip} must be 1-255, got ${m.hopLimit}`);
    }
    mangle.push(
      `-A ${METADATA_CHAIN} -s ${ADDRESS} -d ${port.ip}/32 -p tcp -m tcp --sport 80 ${C} -j TTL --ttl-set ${m.hopLimit}`,
    );
    if (!m.enabled) {
      filter.push(
        `-A ${METADATA_CHAIN} -s ${port.ip}/32 -p tcp -m tcp ${C} -j REJECT --reject-with tcp-reset`,
      );
    }
  }
  return { mangle, filter };
}

/** The hooks into the built-in chains (the VPC rules flush those and re-add every hook). */
export const METADATA_HOOKS = {
  mangleOutput: `-A OUTPUT -s ${ADDRESS} -p tcp -m tcp --sport 80 ${C} -j ${METADATA_CHAIN}`,
  filterInput: `-A INPUT -d ${ADDRESS} -p tcp -m tcp --dport 80 ${C} -j ${METADATA_CHAIN}`,
};
