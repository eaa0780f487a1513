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

export function decodeDoc<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$date === 'string') return new Date(o.$date);
      if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
    }
    return v;
  }) as T;
}
