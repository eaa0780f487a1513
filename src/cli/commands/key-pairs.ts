import { Option, type Command } from 'commander';
import {
  CreateKeyPairRequest,
  DeleteKeyPairRequest,
  DescribeKeyPairsRequest,
  ImportKeyPairRequest,
} from '../../gen/kumo/v1/key_pairs.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import {
  BLOB,
  BOOLEAN,
  enumOf,
  FILTERS,
  STRING,
  STRING_LIST,
  tagSpecifications,
  type CommandInput,
} from '../request-shapes.js';
import { parseFilters, parseTagSpecifications } from '../structured-params.js';
import { loadPublicKeyMaterial } from '../user-data.js';

interface DescribeOptions {
  keyNames?: string[];
  keyPairIds?: string[];
  includePublicKey?: boolean;
  filters?: string[];
}

const KEY_PAIR_TAGS = {
  name: 'TagSpecifications',
  shape: tagSpecifications('key-pair'),
  option: 'tagSpecifications',
};
const KEY_NAME = { name: 'KeyName', shape: STRING, option: 'keyName' };

const CREATE_INPUT: CommandInput = {
  operation: 'CreateKeyPair',
  members: [KEY_NAME, { name: 'KeyType', shape: enumOf('rsa'), option: 'keyType' }, KEY_PAIR_TAGS],
};

const IMPORT_INPUT: CommandInput = {
  operation: 'ImportKeyPair',
  members: [
    KEY_PAIR_TAGS,
    KEY_NAME,
    // The key line itself, never a file:// reference (aws takes JSON values literally).
    {
      name: 'PublicKeyMaterial',
      shape: BLOB,
      option: 'publicKeyMaterial',
      toOption: (v) => Buffer.from(String(v)),
    },
  ],
};

const DESCRIBE_INPUT: CommandInput = {
  operation: 'DescribeKeyPairs',
  members: [
    { name: 'KeyNames', shape: STRING_LIST, option: 'keyNames' },
    { name: 'KeyPairIds', shape: STRING_LIST, option: 'keyPairIds' },
    { name: 'IncludePublicKey', shape: BOOLEAN, option: 'includePublicKey' },
    { name: 'Filters', shape: FILTERS, option: 'filters' },
  ],
};

const DELETE_INPUT: CommandInput = {
  operation: 'DeleteKeyPair',
  members: [KEY_NAME, { name: 'KeyPairId', shape: STRING, option: 'keyPairId' }],
};

/** create/import/describe/delete-key-pair(s). */
export function registerKeyPairCommands(program: Command, ctx: CliContext): void {
  const tagSpecs = '--tag-specifications <spec...>';

  withCliInput(program.command('create-key-pair'), CREATE_INPUT)
    .description('Create a key pair; the private key is shown once (EC2 CreateKeyPair)')
    .requiredOption('--key-name <name>', 'key pair name')
    .addOption(
      new Option('--key-type <type>', 'key type (kumod chooses when omitted)').choices([
        'ed25519',
        'rsa',
      ]),
    )
    .option(tagSpecs, 'ResourceType=key-pair,Tags=[{Key=k,Value=v}] or JSON')
    .action(async (o: { keyName: string; keyType?: string; tagSpecifications?: string[] }) => {
      const c = ctx.clients.keyPairs;
      const request = CreateKeyPairRequest.fromPartial({
        keyName: o.keyName,
        keyType: o.keyType ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
      });
      const res = await ctx.call('CreateKeyPair', c.createKeyPair.bind(c), request);
      // EC2's order, so the JSON reads like aws' own.
      ctx.print('CreateKeyPair', {
        keyFingerprint: res.keyFingerprint,
        keyMaterial: res.keyMaterial,
        keyName: res.keyName,
        keyPairId: res.keyPairId,
      });
    });

  withCliInput(program.command('import-key-pair'), IMPORT_INPUT)
    .description('Import an OpenSSH public key (EC2 ImportKeyPair)')
    .requiredOption('--key-name <name>', 'key pair name')
    .requiredOption(
      '--public-key-material <key>',
      'public key: fileb://path, file://path or the key line',
    )
    .option(tagSpecs, 'ResourceType=key-pair,Tags=[{Key=k,Value=v}] or JSON')
    .action(
      async (o: {
        keyName: string;
        publicKeyMaterial: string | Buffer;
        tagSpecifications?: string[];
      }) => {
        const c = ctx.clients.keyPairs;
        const request = ImportKeyPairRequest.fromPartial({
          keyName: o.keyName,
          publicKeyMaterial: loadPublicKeyMaterial(o.publicKeyMaterial),
          tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        });
        const res = await ctx.call('ImportKeyPair', c.importKeyPair.bind(c), request);
        ctx.print('ImportKeyPair', {
          keyFingerprint: res.keyFingerprint,
          keyName: res.keyName,
          keyPairId: res.keyPairId,
        });
      },
    );

  withCliInput(program.command('describe-key-pairs'), DESCRIBE_INPUT)
    .description('Describe key pairs (EC2 DescribeKeyPairs)')
    .option('--key-names <names...>', 'key pair names')
    .option('--key-pair-ids <ids...>', 'key pair ids')
    .option('--include-public-key', 'include each public key')
    .option('--filters <filter...>', 'Name=key-name,Values=me or JSON')
    .action(async (o: DescribeOptions) => {
      const c = ctx.clients.keyPairs;
      const request = DescribeKeyPairsRequest.fromPartial({
        keyNames: o.keyNames ?? [],
        keyPairIds: o.keyPairIds ?? [],
        includePublicKey: o.includePublicKey === true,
        filters: parseFilters(o.filters),
      });
      const res = await ctx.call('DescribeKeyPairs', c.describeKeyPairs.bind(c), request);
      ctx.print('DescribeKeyPairs', res);
    });

  withCliInput(program.command('delete-key-pair'), DELETE_INPUT)
    .description('Delete a key pair by name or id (EC2 DeleteKeyPair)')
    .option('--key-name <name>', 'key pair name')
    .option('--key-pair-id <id>', 'key pair id')
    .action(async (o: { keyName?: string; keyPairId?: string }) => {
      if (o.keyName === undefined && o.keyPairId === undefined)
        throw new UsageError('Pass --key-name NAME or --key-pair-id ID');
      const c = ctx.clients.keyPairs;
      const request = DeleteKeyPairRequest.fromPartial({
        keyName: o.keyName ?? '',
        keyPairId: o.keyPairId ?? '',
      });
      ctx.print('DeleteKeyPair', await ctx.call('DeleteKeyPair', c.deleteKeyPair.bind(c), request));
    });
}
