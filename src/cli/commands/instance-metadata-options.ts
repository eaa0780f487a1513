import type { Command } from 'commander';
import { ModifyInstanceMetadataOptionsRequest } from '../../gen/kumo/v1/instances.js';
import type { InstanceMetadataOptionsRequest } from '../../gen/kumo/v1/instances.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { enumOf, INTEGER, STRING, structure, type CommandInput } from '../request-shapes.js';
import { checkKeys, paramError, stringOf, structsOf } from '../structured-params.js';

/** RunInstances' MetadataOptions, as botocore shapes it. */
export const METADATA_OPTIONS_SHAPE = structure(
  { name: 'HttpTokens', shape: enumOf('required') },
  { name: 'HttpPutResponseHopLimit', shape: INTEGER },
  { name: 'HttpEndpoint', shape: enumOf('enabled') },
  { name: 'HttpProtocolIpv6', shape: enumOf('disabled') },
  { name: 'InstanceMetadataTags', shape: enumOf('enabled') },
);

const KEYS = [
  'HttpTokens',
  'HttpPutResponseHopLimit',
  'HttpEndpoint',
  'HttpProtocolIpv6',
  'InstanceMetadataTags',
];

/** A hop limit as typed: a whole number (kumod checks the range, as EC2 does). */
function hopLimitOf(text: string | undefined, param: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw paramError(param, `invalid literal for int(): ${text}`);
  return Number(text);
}

/**
 * `--metadata-options HttpTokens=required,HttpPutResponseHopLimit=2` or the JSON form; undefined
 * when not given (kumod then applies EC2's defaults).
 */
export function parseMetadataOptions(
  arg: string | undefined,
  param = '--metadata-options',
): InstanceMetadataOptionsRequest | undefined {
  if (arg === undefined) return undefined;
  const structs = structsOf(arg, param);
  if (structs.length !== 1) throw paramError(param, 'expected one structure');
  const s = structs[0] ?? {};
  checkKeys(s, KEYS, param);
  const str = (k: string): string => (s[k] === undefined ? '' : stringOf(s[k], k, param));
  const hop = s.HttpPutResponseHopLimit;
  return {
    httpTokens: str('HttpTokens'),
    httpPutResponseHopLimit: hopLimitOf(
      hop === undefined ? undefined : stringOf(hop, 'HttpPutResponseHopLimit', param),
      param,
    ),
    httpEndpoint: str('HttpEndpoint'),
    httpProtocolIpv6: str('HttpProtocolIpv6'),
    instanceMetadataTags: str('InstanceMetadataTags'),
  };
}

interface ModifyOptions {
  instanceId: string;
  httpTokens?: string;
  httpPutResponseHopLimit?: string;
  httpEndpoint?: string;
  httpProtocolIpv6?: string;
  instanceMetadataTags?: string;
  dryRun?: boolean;
}

const MODIFY_INPUT: CommandInput = {
  operation: 'ModifyInstanceMetadataOptions',
  members: [
    { name: 'InstanceId', shape: STRING, option: 'instanceId' },
    { name: 'HttpTokens', shape: enumOf('required'), option: 'httpTokens' },
    {
      name: 'HttpPutResponseHopLimit',
      shape: INTEGER,
      option: 'httpPutResponseHopLimit',
      toOption: (v) => String(v),
    },
    { name: 'HttpEndpoint', shape: enumOf('enabled'), option: 'httpEndpoint' },
    DRY_RUN,
    { name: 'HttpProtocolIpv6', shape: enumOf('disabled'), option: 'httpProtocolIpv6' },
    { name: 'InstanceMetadataTags', shape: enumOf('enabled'), option: 'instanceMetadataTags' },
  ],
};

/** modify-instance-metadata-options. */
export function registerInstanceMetadataCommands(program: Command, ctx: CliContext): void {
  const modify = withCliInput(program.command('modify-instance-metadata-options'), MODIFY_INPUT)
    .description(
      'Change how the metadata service answers an instance, at once (EC2 ModifyInstanceMetadataOptions); prints the new options with State pending',
    )
    .requiredOption('--instance-id <id>', 'instance id')
    .option('--http-tokens <optional|required>', 'required: IMDSv2 session tokens only')
    .option('--http-put-response-hop-limit <n>', 'IP TTL of the responses, 1 to 64')
    .option('--http-endpoint <enabled|disabled>', 'disabled: the service does not answer')
    .option('--http-protocol-ipv6 <enabled|disabled>', 'only disabled: kumo has no IPv6')
    .option('--instance-metadata-tags <enabled|disabled>', 'enabled: tags under tags/instance/');
  withDryRun(modify).action(async (o: ModifyOptions) => {
    const c = ctx.clients.instances;
    const request = ModifyInstanceMetadataOptionsRequest.fromPartial({
      instanceId: o.instanceId,
      options: {
        httpTokens: o.httpTokens ?? '',
        httpPutResponseHopLimit: hopLimitOf(
          o.httpPutResponseHopLimit,
          '--http-put-response-hop-limit',
        ),
        httpEndpoint: o.httpEndpoint ?? '',
        httpProtocolIpv6: o.httpProtocolIpv6 ?? '',
        instanceMetadataTags: o.instanceMetadataTags ?? '',
      },
      dryRun: isDryRun(o),
    });
    ctx.print(
      'ModifyInstanceMetadataOptions',
      await ctx.call(
        'ModifyInstanceMetadataOptions',
        c.modifyInstanceMetadataOptions.bind(c),
        request,
      ),
    );
  });
}
