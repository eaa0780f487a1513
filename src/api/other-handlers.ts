import { describeImages } from '../compute/images.js';
import { describeInstanceTypes } from '../compute/instance-types.js';
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
import {
  imageToProto,
  instanceTypeToProto,
  keyPairToProto,
  toFilters,
  toTagSpecs,
} from './convert.js';
import { unary } from './unary.js';

export function imagesHandlers(ctx: ApiContext, logger: Logger): ImagesServer {
  return {
    describeImages: unary('DescribeImages', logger, (req) => ({
      images: describeImages(
        ctx.compute.images,
        req.imageIds,
        toFilters(req.filters),
        req.owners,
      ).map(imageToProto),
    })),
  };
}

export function instanceTypesHandlers(ctx: ApiContext, logger: Logger): InstanceTypesServer {
  return {
    describeInstanceTypes: unary('DescribeInstanceTypes', logger, (req) => {
      return {
        instanceTypes: describeInstanceTypes(req.instanceTypes, toFilters(req.filters)).map((t) =>
          instanceTypeToProto(t, ctx.compute.settings.accel === 'kvm' ? 'kvm' : 'qemu-tcg'),
        ),
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
      );
      return {
        keyPairId: key.id,
        keyName: key.name,
        keyFingerprint: key.fingerprint,
        keyMaterial: privateKey,
      };
    }),
    importKeyPair: unary('ImportKeyPair', logger, async (req) => {
      const material = Buffer.from(req.publicKeyMaterial).toString('utf8');
      const key = await importKeyPair(
        deps,
        req.keyName,
        material,
        toTagSpecs(req.tagSpecifications),
      );
      return { keyPairId: key.id, keyName: key.name, keyFingerprint: key.fingerprint };
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
      const id = deleteKeyPair(ctx.compute.keyPairs, req.keyName, req.keyPairId);
      return { return: true, keyPairId: id ?? '' };
    }),
  };
}

export function hostHandlers(ctx: ApiContext, logger: Logger): HostServer {
  return { describeHost: unary('DescribeHost', logger, () => ctx.describeHost()) };
}
