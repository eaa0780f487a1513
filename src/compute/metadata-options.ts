import { invalidParameter } from '../core/errors.js';

/**
 * How the instance metadata service answers one instance (EC2's InstanceMetadataOptions). Kept
 * on the instance; the metadata service reads it at every request, so a change applies at once.
 */
export interface MetadataOptions {
  /** optional: IMDSv1 and IMDSv2; required: a session token on every GET (IMDSv1 gets 401). */
  readonly httpTokens: 'optional' | 'required';
  /** disabled: the service does not answer this instance at all. */
  readonly httpEndpoint: 'enabled' | 'disabled';
  /** The IP TTL of the service's responses: how many hops a token may travel (1-64). */
  readonly httpPutResponseHopLimit: number;
  /** enabled: the instance's tags are served under meta-data/tags/instance/. */
  readonly instanceMetadataTags: 'enabled' | 'disabled';
}

/** A request's fields; unset ones keep the current (or default) value. */
export type MetadataOptionsRequest = Partial<Record<keyof MetadataOptions, string | number>>;

/** EC2's defaults for a launch that names none (and for instances launched before options). */
export const DEFAULT_METADATA_OPTIONS: MetadataOptions = {
  httpTokens: 'optional',
  httpEndpoint: 'enabled',
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: 'disabled',
};

export const HOP_LIMIT_MIN = 1;
export const HOP_LIMIT_MAX = 64;

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw invalidParameter(
    `Invalid value '${String(value)}' for ${name}. Valid values: ${allowed.join(', ')}`,
  );
}

/**
 * Applies a launch's or a modify call's fields on top of `base`, validated as EC2 does. Undefined
 * and empty strings (proto3's zero value) mean "not given" and keep the base value.
 */
export function mergeMetadataOptions(
  base: MetadataOptions,
  req: MetadataOptionsRequest,
): MetadataOptions {
  const given = (v: string | number | undefined): boolean => v !== undefined && v !== '';
  const hop = req.httpPutResponseHopLimit;
  if (given(hop)) {
    const n = Number(hop);
    if (!Number.isInteger(n) || n < HOP_LIMIT_MIN || n > HOP_LIMIT_MAX) {
      throw invalidParameter(
        `Invalid value '${String(hop)}' for HttpPutResponseHopLimit. It must be an integer from ${HOP_LIMIT_MIN} to ${HOP_LIMIT_MAX}`,
      );
    }
  }
  return {
    httpTokens: given(req.httpTokens)
      ? oneOf('HttpTokens', req.httpTokens, ['optional', 'required'])
      : base.httpTokens,
    httpEndpoint: given(req.httpEndpoint)
      ? oneOf('HttpEndpoint', req.httpEndpoint, ['enabled', 'disabled'])
      : base.httpEndpoint,
    httpPutResponseHopLimit: given(hop) ? Number(hop) : base.httpPutResponseHopLimit,
    instanceMetadataTags: given(req.instanceMetadataTags)
      ? oneOf('InstanceMetadataTags', req.instanceMetadataTags, ['enabled', 'disabled'])
      : base.instanceMetadataTags,
  };
}

/** Refuses what kumo cannot do: IPv6 (EC2's HttpProtocolIpv6=enabled). */
export function assertIpv4Only(httpProtocolIpv6: string | undefined): void {
  if (httpProtocolIpv6 === undefined || httpProtocolIpv6 === '' || httpProtocolIpv6 === 'disabled')
    return;
  if (httpProtocolIpv6 === 'enabled') {
    throw invalidParameter(
      'HttpProtocolIpv6=enabled is not supported: kumo instances have no IPv6. Leave it unset or pass disabled',
      'UnsupportedOperation',
    );
  }
  throw invalidParameter(
    `Invalid value '${httpProtocolIpv6}' for HttpProtocolIpv6. Valid values: enabled, disabled`,
  );
}

/** RunInstances' MetadataOptions on top of EC2's defaults; undefined when the launch names none. */
export function launchMetadataOptions(
  req: (MetadataOptionsRequest & { readonly httpProtocolIpv6?: string | undefined }) | undefined,
): MetadataOptions | undefined {
  if (!req) return undefined;
  const { httpProtocolIpv6, ...fields } = req;
  assertIpv4Only(httpProtocolIpv6);
  return mergeMetadataOptions(DEFAULT_METADATA_OPTIONS, fields);
}

/** The options in force for an instance (records from before options existed get EC2's defaults). */
export const metadataOptionsOf = (i: { readonly metadataOptions?: MetadataOptions | undefined }) =>
  i.metadataOptions ?? DEFAULT_METADATA_OPTIONS;
