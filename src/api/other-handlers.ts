import { describeImages } from '../compute/images.js';
import { allInstanceTypes, findInstanceType } from '../compute/instance-types.js';
import {
  createKeyPair,
  deleteKeyPair,
  describeKeyPairs,
  importKeyPair,
} from '../compute/key-pairs.js';
import { invalidParameter } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { matchesFilters } from '../core/tags.js';
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
      images: describeImages(ctx.compute.images, req.imageIds, toFilters(req.filters)).map(
        imageToProto,
      ),
    })),
  };
}

export function instanceTypesHandlers(ctx: ApiContext, logger: Logger): InstanceTypesServer {
  return {
    describeInstanceTypes: unary('DescribeInstanceTypes', logger, (req) => {
      const unknown = req.instanceTypes.filter((n) => !findInstanceType(n));
      if (unknown.length > 0) {
        throw invalidParameter(
          `The instance type '${unknown.join(', ')}' does not exist`,
          'InvalidInstanceType',
        );
      }
      const base =
        req.instanceTypes.length > 0
          ? allInstanceTypes().filter((t) => req.instanceTypes.includes(t.name))
          : allInstanceTypes();
      const fields = (t: (typeof base)[number], n: string): readonly string[] | undefined =>
        ({
          'instance-type': [t.name],
          'vcpu-info.default-vcpus': [String(t.vcpus)],
          'memory-info.size-in-mib': [String(t.memoryMib)],
          'instance-storage-supported': [String(t.instanceStoreGb > 0)],
        })[n];
      const onUnknown = (n: string): never => {
        throw invalidParameter(
          `The filter '${n}' is invalid; use instance-type, vcpu-info.default-vcpus, memory-info.size-in-mib or instance-storage-supported`,
        );
      };
      const filters = toFilters(req.filters);
      return {
        instanceTypes: base
          .filter((t) => matchesFilters(filters, (n) => fields(t, n), onUnknown))
          .map((t) =>
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
