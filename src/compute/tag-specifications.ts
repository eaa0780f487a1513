import { invalidParameter, quoted } from '../core/errors.js';
import type { Tag } from '../core/tags.js';

export interface TagSpecification {
  readonly resourceType: string;
  readonly tags: readonly Tag[];
}

/** Validates EC2 tag rules and returns the tags for the given resource types. */
export function validateTagSpecifications(
  specs: readonly TagSpecification[],
  allowedTypes: readonly string[],
): Tag[] {
  const tags: Tag[] = [];
  for (const spec of specs) {
    if (!allowedTypes.includes(spec.resourceType)) {
      throw invalidParameter(
        `${quoted(spec.resourceType)} is not a valid taggable resource type for this request; use ${allowedTypes.join(' or ')}`,
      );
    }
    tags.push(...validateTags(spec.tags));
  }
  const keys = new Set<string>();
  for (const t of tags) {
    if (keys.has(t.key)) throw invalidParameter(`Tag key ${quoted(t.key)} is given more than once`);
    keys.add(t.key);
  }
  if (tags.length > 50) throw invalidParameter(`${tags.length} tags given; at most 50 are allowed`);
  return tags;
}

export function validateTags(tags: readonly Tag[]): Tag[] {
  return tags.map((t) => {
    if (t.key.length < 1 || t.key.length > 128) {
      throw invalidParameter(`Tag key ${quoted(t.key)} must be 1 to 128 characters`);
    }
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw invalidParameter(`Tag key ${quoted(t.key)} uses the reserved prefix 'aws:'`);
    }
    if (t.value.length > 256) {
      throw invalidParameter(`The value of tag ${quoted(t.key)} is longer than 256 characters`);
    }
    return { key: t.key, value: t.value };
  });
}
