/**
 * JSON with Dates and byte arrays: documents round-trip through SQLite without losing types.
 * Dates are tagged {"$date": iso}, bytes {"$bytes": base64}.
 */
export function encodeDoc(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
    return v;
  });
}

/**
 * The inverse of encodeDoc. Parses without a reviver (a reviver makes JSON.parse 5-7 times slower:
 * it is called for every value) and converts tagged values in one walk, only in documents that
 * have any: most (interfaces, groups, routes) have none, and a launch reads dozens of them.
 */
export function decodeDoc<T>(text: string): T {
  const value: unknown = JSON.parse(text);
  return (text.includes('"$date"') || text.includes('"$bytes"') ? untag(value) : value) as T;
}

/** Replaces {"$date": iso} and {"$bytes": base64} objects in place, at any depth. */
function untag(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = untag(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.$date === 'string') return new Date(o.$date);
  if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
  for (const key of Object.keys(o)) o[key] = untag(o[key]);
  return o;
}
