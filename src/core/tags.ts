import { filterLimitExceeded, invalidParameter, quoted } from './errors.js';
import { wildcardMatcher } from './filters-wildcard.js';

/** A key/value label, as in EC2. */
export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** A describe filter: matches when the named field equals any value (`*` and `?` are wildcards). */
export interface Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/**
 * Bounds on what one describe call may ask for, so a request cannot keep the daemon busy (each
 * filter value is compared with a field of every item). EC2 answers FilterLimitExceeded beyond
 * 200 filter values in one call; kumo also caps the filters at 50. No field kumo filters on is
 * longer than 256 characters (tag values), so a pattern of more than 512 characters (each of
 * those escaped) cannot be meant.
 */
export const FILTER_LIMITS = { filters: 50, values: 200, valueChars: 512 } as const;

/** Throws FilterLimitExceeded / InvalidParameterValue when filters exceed FILTER_LIMITS. */
export function checkFilterLimits(filters: readonly Filter[]): void {
  if (filters.length > FILTER_LIMITS.filters) {
    throw filterLimitExceeded(
      `The request has ${filters.length} filters; at most ${FILTER_LIMITS.filters} are allowed`,
    );
  }
  const values = filters.reduce((n, f) => n + f.values.length, 0);
  if (values > FILTER_LIMITS.values) {
    throw filterLimitExceeded(
      `The request has ${values} filter values; at most ${FILTER_LIMITS.values} are allowed in one call`,
    );
  }
  for (const f of filters) {
    const long = f.values.find((v) => v.length > FILTER_LIMITS.valueChars);
    if (long !== undefined) {
      throw invalidParameter(
        `A value of the filter ${quoted(f.name)} is ${long.length} characters long; at most ${FILTER_LIMITS.valueChars} are allowed`,
      );
    }
  }
}

/**
 * How to read each filterable field of an item. With `tags`, `tag:<key>` and `tag-key` work too.
 */
export interface FilterSchema<T> {
  readonly fields: Readonly<Record<string, (item: T) => readonly string[]>>;
  readonly tags?: (item: T) => readonly Tag[];
}

/**
 * The items that every filter matches (a filter matches when any of its values, with wildcards,
 * equals any value of its field). An unknown filter name fails up front, as in EC2, even when
 * there is nothing to match it against.
 */
export function applyFilters<T>(
  items: readonly T[],
  filters: readonly Filter[],
  schema: FilterSchema<T>,
): T[] {
  checkFilterLimits(filters);
  // Fields are resolved and patterns compiled once per call, not once per item.
  const checks = filters.map((f) => ({
    read: fieldReader(schema, f.name),
    matchers: f.values.map(wildcardMatcher),
  }));
  return items.filter((item) =>
    checks.every(({ read, matchers }) => {
      const actual = read(item);
      return matchers.some((matches) => actual.some(matches));
    }),
  );
}

function fieldReader<T>(schema: FilterSchema<T>, name: string): (item: T) => readonly string[] {
  const field = Object.hasOwn(schema.fields, name) ? schema.fields[name] : undefined;
  if (field) return field;
  const tags = schema.tags;
  if (tags && name.startsWith('tag:') && name.length > 4) {
    const key = name.slice(4);
    return (item) => tags(item).flatMap((t) => (t.key === key ? [t.value] : []));
  }
  if (tags && name === 'tag-key') return (item) => tags(item).map((t) => t.key);
  const supported = [...Object.keys(schema.fields), ...(tags ? ['tag:<key>', 'tag-key'] : [])];
  throw invalidParameter(
    `The filter ${quoted(name)} is invalid; supported filters: ${supported.join(', ')}`,
  );
}
