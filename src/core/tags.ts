import { invalidParameter } from './errors.js';

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

/** A matcher for an EC2 filter value: `*` is any run of characters, `?` any one character. */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((ch) =>
          ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('') +
      '$',
  );
  return (value) => re.test(value);
}

export function wildcardMatch(pattern: string, value: string): boolean {
  return wildcardMatcher(pattern)(value);
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
    `The filter '${name}' is invalid; supported filters: ${supported.join(', ')}`,
  );
}
