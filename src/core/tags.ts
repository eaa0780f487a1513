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

export function wildcardMatch(pattern: string, value: string): boolean {
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
  return re.test(value);
}

/** True when every filter matches; `fields` returns the values of a field name, undefined if unknown. */
export function matchesFilters(
  filters: readonly Filter[],
  fields: (name: string) => readonly string[] | undefined,
  onUnknown: (name: string) => never,
): boolean {
  return filters.every((f) => {
    const actual = fields(f.name);
    if (actual === undefined) return onUnknown(f.name);
    return f.values.some((pattern) => actual.some((v) => wildcardMatch(pattern, v)));
  });
}

export function tagFieldValues(tags: readonly Tag[], name: string): readonly string[] | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return tags.filter((t) => t.key === key).map((t) => t.value);
  }
  if (name === 'tag-key') return tags.map((t) => t.key);
  return undefined;
}
