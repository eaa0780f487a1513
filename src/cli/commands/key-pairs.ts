import { Option, type Command } from 'commander';
import {
  CreateKeyPairRequest,
  DeleteKeyPairRequest,
  DescribeKeyPairsRequest,
  ImportKeyPairRequest,
} from '../../gen/kumo/v1/key_pairs.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
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
  members: [
    KEY_NAME,
    { name: 'KeyType', shape: enumOf('rsa'), option: 'keyType' },
    KEY_PAIR_TAGS,
    { name: 'KeyFormat', shape: enumOf('pem'), option: 'keyFormat' },
    DRY_RUN,
  ],
};

const IMPORT_INPUT: CommandInput = {
  operation: 'ImportKeyPair',
  members: [
    KEY_PAIR_TAGS,
    DRY_RUN,
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
  members: [KEY_NAME, { name: 'KeyPairId', shape: STRING, option: 'keyPairId' }, DRY_RUN],
};

interface CreateOptions {
  keyName: string;
  keyType?: string;
  tagSpecifications?: string[];
  keyFormat?: string;
  dryRun?: boolean;
}

interface ImportOptions {
  keyName: string;
  publicKeyMaterial: string | Buffer;
  tagSpecifications?: string[];
  dryRun?: boolean;
}

/**
 * kumod hands out rsa keys as PEM and ed25519 keys in OpenSSH's format, which is what EC2 returns
 * for KeyFormat pem; PuTTY's ppk is not made.
 */
function checkKeyFormat(format: string | undefined): void {
  if (format !== undefined && format !== 'pem')
    throw new UsageError(
      `kumo returns private keys in pem format only (OpenSSH's format for ed25519), not '${format}'`,
    );
}

/** Tags are printed when the key pair has some, as EC2 leaves the member out otherwise. */
const tagsIfAny = <T extends { tags: unknown[] }>(res: T) => ({
  ...res,
  tags: res.tags.length > 0 ? res.tags : undefined,
});

/** create/import/describe/delete-key-pair(s). */
export function registerKeyPairCommands(program: Command, ctx: CliContext): void {
  const tagSpecs = '--tag-specifications <spec...>';

  const create = withCliInput(program.command('create-key-pair'), CREATE_INPUT)
    .description('Create a key pair; the private key is shown once (EC2 CreateKeyPair)')
    .requiredOption('--key-name <name>', 'key pair name')
    .addOption(
      new Option('--key-type <type>', 'key type (default rsa, as in EC2)').choices([
        'ed25519',
        'rsa',
      ]),
    )
    .option(tagSpecs, 'ResourceType=key-pair,Tags=[{Key=k,Value=v}] or JSON')
    .addOption(
      new Option('--key-format <format>', 'private key format: pem only').choices(['pem', 'ppk']),
    );
  withDryRun(create).action(async (o: CreateOptions) => {
    checkKeyFormat(o.keyFormat);
    const c = ctx.clients.keyPairs;
    const request = CreateKeyPairRequest.fromPartial({
      keyName: o.keyName,
      keyType: o.keyType ?? '',
      tagSpecifications: parseTagSpecifications(o.tagSpecifications),
      dryRun: isDryRun(o),
    });
    const res = await ctx.call('CreateKeyPair', c.createKeyPair.bind(c), request);
    ctx.print('CreateKeyPair', tagsIfAny(res));
  });

  const importKey = withCliInput(program.command('import-key-pair'), IMPORT_INPUT)
    .description('Import an OpenSSH public key (EC2 ImportKeyPair)')
    .requiredOption('--key-name <name>', 'key pair name')
    .requiredOption(
      '--public-key-material <key>',
      'public key: fileb://path, file://path or the key line',
    )
    .option(tagSpecs, 'ResourceType=key-pair,Tags=[{Key=k,Value=v}] or JSON');
  withDryRun(importKey).action(async (o: ImportOptions) => {
    const c = ctx.clients.keyPairs;
    const request = ImportKeyPairRequest.fromPartial({
      keyName: o.keyName,
      publicKeyMaterial: loadPublicKeyMaterial(o.publicKeyMaterial),
      tagSpecifications: parseTagSpecifications(o.tagSpecifications),
      dryRun: isDryRun(o),
    });
    const res = await ctx.call('ImportKeyPair', c.importKeyPair.bind(c), request);
    ctx.print('ImportKeyPair', tagsIfAny(res));
  });

  withCliInput(program.command('describe-key-pairs'), DESCRIBE_INPUT)
    .description('Describe key pairs (EC2 DescribeKeyPairs)')
    .option('--key-names <names...>', 'key pair names')
    .option('--key-pair-ids <ids...>', 'key pair ids')
    .option('--include-public-key', 'include each public key')
    .option('--no-include-public-key', 'leave the public keys out (the default)')
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

  const remove = withCliInput(program.command('delete-key-pair'), DELETE_INPUT)
    .description('Delete a key pair by name or id (EC2 DeleteKeyPair)')
    .option('--key-name <name>', 'key pair name')
    .option('--key-pair-id <id>', 'key pair id');
  withDryRun(remove).action(
    async (o: { keyName?: string; keyPairId?: string; dryRun?: boolean }) => {
      if (o.keyName === undefined && o.keyPairId === undefined)
        throw new UsageError('Pass --key-name NAME or --key-pair-id ID');
      const c = ctx.clients.keyPairs;
      const request = DeleteKeyPairRequest.fromPartial({
        keyName: o.keyName ?? '',
        keyPairId: o.keyPairId ?? '',
        dryRun: isDryRun(o),
      });
      ctx.print('DeleteKeyPair', await ctx.call('DeleteKeyPair', c.deleteKeyPair.bind(c), request));
    },
  );
}
