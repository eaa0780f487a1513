import {
  dryRunOperation,
  invalidParameter,
  KumoError,
  limitExceeded,
  notFound,
  quoted,
} from '../core/errors.js';
import { applyFilters, type Filter, type Tag } from '../core/tags.js';
import type { KeyedMutex } from '../core/keyed-mutex.js';
import type { UnitOfWork } from '../core/unit-of-work.js';
import { validateTags } from './tag-specifications.js';

/** EC2's resource types that kumo keeps tags for (DescribeTags' ResourceType). */
export type TaggableType =
  | 'instance'
  | 'volume'
  | 'snapshot'
  | 'image'
  | 'key-pair'
  | 'security-group'
  | 'vpc'
  | 'subnet'
  | 'internet-gateway'
  | 'route-table'
  | 'elastic-ip';

/** Each type's id prefix and the code EC2 answers when no such resource exists. */
export const TAGGABLE: Readonly<Record<TaggableType, { prefix: string; notFound: string }>> = {
  instance: { prefix: 'i', notFound: 'InvalidInstanceID.NotFound' },
  volume: { prefix: 'vol', notFound: 'InvalidVolume.NotFound' },
  snapshot: { prefix: 'snap', notFound: 'InvalidSnapshot.NotFound' },
  image: { prefix: 'ami', notFound: 'InvalidAMIID.NotFound' },
  'key-pair': { prefix: 'key', notFound: 'InvalidKeyPair.NotFound' },
  'security-group': { prefix: 'sg', notFound: 'InvalidGroup.NotFound' },
  vpc: { prefix: 'vpc', notFound: 'InvalidVpcID.NotFound' },
  subnet: { prefix: 'subnet', notFound: 'InvalidSubnetID.NotFound' },
  'internet-gateway': { prefix: 'igw', notFound: 'InvalidInternetGatewayID.NotFound' },
  'route-table': { prefix: 'rtb', notFound: 'InvalidRouteTableID.NotFound' },
  'elastic-ip': { prefix: 'eipalloc', notFound: 'InvalidAllocationID.NotFound' },
};

/** EC2's limits: tags per resource, resources per CreateTags/DeleteTags call. */
export const TAG_LIMITS = { perResource: 50, resources: 1000 } as const;

/** The tags of one resource type, kept on its records. */
export interface TagStore {
  /** The resource's tags; undefined when there is no such resource. */
  get(id: string): readonly Tag[] | undefined;
  /** Replaces the resource's tags (it exists: `get` said so in the same unit of work). */
  set(id: string, tags: readonly Tag[]): void;
  /** Every resource with its tags, for DescribeTags. */
  list(): readonly { readonly id: string; readonly tags: readonly Tag[] }[];
}

/** The port the daemon wires to the repositories: one store per type. */
export type TaggableResources = Readonly<Record<TaggableType, TagStore>>;

export interface ResourceTagDeps {
  readonly uow: UnitOfWork;
  /**
   * The per-resource locks lifecycle steps hold (instances, volumes): a launch or a stop reads the
   * record, waits on the host, and writes it back, so tags written meanwhile would be lost.
   */
  readonly locks: KeyedMutex;
  readonly resources: TaggableResources;
}

/** A repository whose records carry `tags`, as a TagStore (read the record, write it back). */
export function recordTagStore<T extends { readonly tags?: readonly Tag[] | undefined }>(
  repo: { get(id: string): T | undefined; put(item: T): void; list(): readonly T[] },
  idOf: (item: T) => string,
): TagStore {
  return {
    get: (id) => {
      const r = repo.get(id);
      return r ? (r.tags ?? []) : undefined;
    },
    set: (id, tags) => {
      const r = repo.get(id);
      if (r) repo.put({ ...r, tags: [...tags] });
    },
    list: () => repo.list().map((r) => ({ id: idOf(r), tags: r.tags ?? [] })),
  };
}

const ID_PATTERN = /^([a-z]+)-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/** The EC2 resource type of an id, from its prefix; InvalidID when kumo tags nothing like it. */
export function resourceTypeOf(id: string): TaggableType {
  const m = ID_PATTERN.exec(id);
  const type = m
    ? (Object.keys(TAGGABLE) as TaggableType[]).find((t) => TAGGABLE[t].prefix === m[1])
    : undefined;
  if (!type) {
    throw new KumoError(
      'InvalidArgument',
      'InvalidID',
      `The ID ${quoted(id)} is not valid: give ids of taggable resources (${Object.values(TAGGABLE)
        .map((t) => `${t.prefix}-…`)
        .join(', ')})`,
    );
  }
  return type;
}

function checkResources(resources: readonly string[]): void {
  if (resources.length === 0) {
    throw invalidParameter(
      'The request must name at least one resource (Resources)',
      'MissingParameter',
    );
  }
  if (resources.length > TAG_LIMITS.resources) {
    throw invalidParameter(
      `The request names ${resources.length} resources; at most ${TAG_LIMITS.resources} are allowed in one call`,
    );
  }
}

/** Each resource with its type and current tags; the first unknown one fails the whole call. */
function lookUp(
  deps: ResourceTagDeps,
  resources: readonly string[],
): { id: string; type: TaggableType; tags: readonly Tag[] }[] {
  const typed = resources.map((id) => ({ id, type: resourceTypeOf(id) }));
  return typed.map(({ id, type }) => {
    const tags = deps.resources[type].get(id);
    if (tags === undefined) {
      throw notFound(TAGGABLE[type].notFound, `The ${type} ID ${quoted(id)} does not exist`);
    }
    return { id, type, tags };
  });
}

/**
 * EC2's CreateTags: adds or overwrites the tags on every resource. Everything is checked (ids,
 * tags, the 50-tag limit on each resource) before any resource changes, and the writes are one
 * unit of work: all resources get the tags or none does.
 */
export async function createTags(
  deps: ResourceTagDeps,
  input: { resources: readonly string[]; tags: readonly Tag[]; dryRun: boolean },
): Promise<void> {
  checkResources(input.resources);
  if (input.tags.length === 0) {
    throw invalidParameter('The request must give at least one tag (Tags)', 'MissingParameter');
  }
  const tags = validateTags(input.tags);
  const keys = new Set<string>();
  for (const t of tags) {
    if (keys.has(t.key)) throw invalidParameter(`Tag key ${quoted(t.key)} is given more than once`);
    keys.add(t.key);
  }
  for (const id of input.resources) resourceTypeOf(id);
  await deps.locks.runAll(input.resources, () =>
    deps.uow.run(() => {
      const plan = lookUp(deps, input.resources).map((r) => {
        const next = [...r.tags.filter((t) => !keys.has(t.key)), ...tags];
        if (next.length > TAG_LIMITS.perResource) {
          throw limitExceeded(
            'TagLimitExceeded',
            `The ${r.type} ${r.id} would have ${next.length} tags; a resource may have at most ${TAG_LIMITS.perResource}: delete some first`,
          );
        }
        return { ...r, next };
      });
      if (input.dryRun) throw dryRunOperation();
      for (const r of plan) deps.resources[r.type].set(r.id, r.next);
    }),
  );
}

/** A tag to delete: the key alone, or the key with the value it must have. */
export interface TagToDelete {
  readonly key: string;
  readonly value?: string | undefined;
}

/** Whether DeleteTags' `tags` remove `tag` (none given: every tag goes, as in EC2). */
export function isDeleted(tag: Tag, toDelete: readonly TagToDelete[]): boolean {
  if (toDelete.length === 0) return true;
  return toDelete.some(
    (d) => d.key === tag.key && (d.value === undefined || d.value === tag.value),
  );
}

/** EC2's DeleteTags: all resources are checked before any changes; one unit of work. */
export async function deleteTags(
  deps: ResourceTagDeps,
  input: { resources: readonly string[]; tags: readonly TagToDelete[]; dryRun: boolean },
): Promise<void> {
  checkResources(input.resources);
  for (const t of input.tags) {
    if (t.key.length < 1 || t.key.length > 128) {
      throw invalidParameter(`Tag key ${quoted(t.key)} must be 1 to 128 characters`);
    }
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw invalidParameter(`Tag key ${quoted(t.key)} uses the reserved prefix 'aws:'`);
    }
  }
  for (const id of input.resources) resourceTypeOf(id);
  await deps.locks.runAll(input.resources, () =>
    deps.uow.run(() => {
      const found = lookUp(deps, input.resources);
      if (input.dryRun) throw dryRunOperation();
      for (const r of found) {
        const next = r.tags.filter((t) => !isDeleted(t, input.tags));
        if (next.length !== r.tags.length) deps.resources[r.type].set(r.id, next);
      }
    }),
  );
}

/** One of DescribeTags' answers: a tag of a resource. */
export interface TagDescription {
  readonly resourceId: string;
  readonly resourceType: TaggableType;
  readonly key: string;
  readonly value: string;
  /** All the resource's tags, for tag:<key> filters. */
  readonly resourceTags: readonly Tag[];
}

/** EC2's DescribeTags: every tag of every resource matching the filters, by resource id and key. */
export function describeTags(
  resources: TaggableResources,
  filters: readonly Filter[],
): TagDescription[] {
  const all = (Object.keys(TAGGABLE) as TaggableType[]).flatMap((type) =>
    resources[type].list().flatMap((r) =>
      r.tags.map((t) => ({
        resourceId: r.id,
        resourceType: type,
        key: t.key,
        value: t.value,
        resourceTags: r.tags,
      })),
    ),
  );
  const found = applyFilters(all, filters, {
    fields: {
      key: (d) => [d.key],
      value: (d) => [d.value],
      'resource-id': (d) => [d.resourceId],
      'resource-type': (d) => [d.resourceType],
    },
    tags: (d) => d.resourceTags,
  });
  return found.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

/** The order DescribeTags answers in (and pages by): resource id, then key. */
export const sortKey = (d: TagDescription): string => `${d.resourceId}\u0000${d.key}`;
