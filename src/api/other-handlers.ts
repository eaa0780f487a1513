import { describeImages } from '../compute/images.js';
import { allInstanceTypes, describeInstanceTypes } from '../compute/instance-types.js';
import {
  createKeyPair,
  deleteKeyPair,
  describeKeyPairs,
  importKeyPair,
} from '../compute/key-pairs.js';
import type { Logger } from '../core/logger.js';
import type { HostServer } from '../gen/kumo/v1/host.js';
import type { ImagesServer } from '../gen/kumo/v1/images.js';
import type { InstanceTypesServer } from '../gen/kumo/v1/instance_types.js';
import type { KeyPairsServer } from '../gen/kumo/v1/key_pairs.js';
import type { ApiContext } from './context.js';
import { imageCopyHandlers } from './image-copy-handlers.js';
import { imageRegistrationHandlers } from './image-handlers.js';
import {
  imageToProto,
  instanceTypeToProto,
  keyPairToProto,
  tags,
  toFilters,
  toTagSpecs,
} from './convert.js';
import { indexKey, paginate, PAGE_LIMITS } from './pagination.js';
import { unary } from './unary.js';

export function imagesHandlers(ctx: ApiContext, logger: Logger): ImagesServer {
  return {
    ...imageRegistrationHandlers(ctx, logger),
    ...imageCopyHandlers(ctx, logger),
    describeImages: unary('DescribeImages', logger, (req) => {
      const found = describeImages(
        ctx.compute.images,
        req.imageIds,
        toFilters(req.filters),
        req.owners,
      ).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeImages,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.imageIds.length,
          query: [req.imageIds, req.owners, req.filters],
        },
        found,
        (i) => i.id,
      );
      return { images: page.map(imageToProto), nextToken };
    }),
  };
}

/**
 * EC2's InstanceTypeHypervisor has `nitro` and `xen`; its KVM-based types (every type kumo
 * offers) say `nitro`. Whether kumod runs guests with KVM or TCG is in DescribeHost.
 */
const INSTANCE_TYPE_HYPERVISOR = 'nitro';

export function instanceTypesHandlers(ctx: ApiContext, logger: Logger): InstanceTypesServer {
  const catalogueIndex = new Map(allInstanceTypes().map((t, i) => [t.name, indexKey(i)]));
  return {
    describeInstanceTypes: unary('DescribeInstanceTypes', logger, (req) => {
      const found = describeInstanceTypes(req.instanceTypes, toFilters(req.filters));
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeInstanceTypes,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.instanceTypes.length,
          query: [req.instanceTypes, req.filters],
        },
        found,
        (t) => catalogueIndex.get(t.name) ?? '',
      );
      return {
        instanceTypes: page.map((t) =>
          instanceTypeToProto(t, INSTANCE_TYPE_HYPERVISOR, ctx.compute.settings.instanceStore),
        ),
        nextToken,
      };
    }),
  };
}

export function keyPairsHandlers(ctx: ApiContext, logger: Logger): KeyPairsServer {
  const deps = { ...ctx.compute, sshKeys: ctx.sshKeys };
  return {
    createKeyPair: unary('CreateKeyPair', logger, async (req) => {
      const { key, privateKey } = await createKeyPair(
        deps,
        req.keyName,
        req.keyType,
        toTagSpecs(req.tagSpecifications),
        { dryRun: req.dryRun },
      );
      return {
        keyPairId: key.id,
        keyName: key.name,
        keyFingerprint: key.fingerprint,
        keyMaterial: privateKey,
        tags: tags(key.tags),
      };
    }),
    importKeyPair: unary('ImportKeyPair', logger, async (req) => {
      const material = Buffer.from(req.publicKeyMaterial).toString('utf8');
      const key = await importKeyPair(
        deps,
        req.keyName,
        material,
        toTagSpecs(req.tagSpecifications),
        { dryRun: req.dryRun },
      );
      return {
        keyPairId: key.id,
        keyName: key.name,
        keyFingerprint: key.fingerprint,
        tags: tags(key.tags),
      };
    }),
    describeKeyPairs: unary('DescribeKeyPairs', logger, (req) => ({
      keyPairs: describeKeyPairs(
        ctx.compute.keyPairs,
        req.keyNames,
        req.keyPairIds,
        toFilters(req.filters),
      ).map((k) => keyPairToProto(k, req.includePublicKey)),
    })),
    deleteKeyPair: unary('DeleteKeyPair', logger, (req) => {
      const id = deleteKeyPair(ctx.compute.keyPairs, req.keyName, req.keyPairId, {
        dryRun: req.dryRun,
      });
      return { return: true, keyPairId: id ?? '' };
    }),
  };
}

export function hostHandlers(ctx: ApiContext, logger: Logger): HostServer {
  return { describeHost: unary('DescribeHost', logger, () => ctx.describeHost()) };
}
