import { Option, type Command } from 'commander';
import {
  CreateKeyPairRequest,
  DeleteKeyPairRequest,
  DescribeKeyPairsRequest,
  ImportKeyPairRequest,
} from '../../gen/kumo/v1/key_pairs.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { parseFilters, parseTagSpecifications } from '../structured-params.js';
import { loadPublicKeyMaterial } from '../user-data.js';

interface DescribeOptions {
  keyNames?: string[];
  keyPairIds?: string[];
  includePublicKey?: boolean;
  filters?: string[];
}

/** create/import/describe/delete-key-pair(s). */
export function registerKeyPairCommands(program: Command, ctx: CliContext): void {
  const tagSpecs = '--tag-specifications <spec...>';

  program
    .command('create-key-pair')
    .description('Create a key pair; the private key is shown once (EC2 CreateKeyPair)')
    .requiredOption('--key-name <name>', 'key pair name')
    .addOption(
      new Option('--key-type <type>', 'key type (default: ed25519)').choices(['ed25519', 'rsa']),
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
      ctx.print({
        keyFingerprint: res.keyFingerprint,
        keyMaterial: res.keyMaterial,
        keyName: res.keyName,
        keyPairId: res.keyPairId,
      });
    });

  program
    .command('import-key-pair')
    .description('Import an OpenSSH public key (EC2 ImportKeyPair)')
    .requiredOption('--key-name <name>', 'key pair name')
    .requiredOption(
      '--public-key-material <key>',
      'public key: fileb://path, file://path or the key line',
    )
    .option(tagSpecs, 'ResourceType=key-pair,Tags=[{Key=k,Value=v}] or JSON')
    .action(
      async (o: { keyName: string; publicKeyMaterial: string; tagSpecifications?: string[] }) => {
        const c = ctx.clients.keyPairs;
        const request = ImportKeyPairRequest.fromPartial({
          keyName: o.keyName,
          publicKeyMaterial: loadPublicKeyMaterial(o.publicKeyMaterial),
          tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        });
        const res = await ctx.call('ImportKeyPair', c.importKeyPair.bind(c), request);
        ctx.print({
          keyFingerprint: res.keyFingerprint,
          keyName: res.keyName,
          keyPairId: res.keyPairId,
        });
      },
    );

  program
    .command('describe-key-pairs')
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
      ctx.print(await ctx.call('DescribeKeyPairs', c.describeKeyPairs.bind(c), request));
    });

  program
    .command('delete-key-pair')
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
      ctx.print(await ctx.call('DeleteKeyPair', c.deleteKeyPair.bind(c), request));
    });
}
