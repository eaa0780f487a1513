/**
 * What a Describe call starts from, as EC2 does it: the named resources (each must exist; the
 * first unknown id fails the call) or, when no id is named, all of them.
 */
export function byIdsOrAll<T>(
  ids: readonly string[],
  repo: { get(id: string): T | undefined; list(): T[] },
  notFound: (id: string) => Error,
): T[] {
  if (ids.length === 0) return repo.list();
  return [...new Set(ids)].map((id) => {
    const found = repo.get(id);
    if (found === undefined) throw notFound(id);
    return found;
  });
}
