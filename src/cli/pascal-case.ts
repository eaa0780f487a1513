/**
 * ts-proto objects (camelCase, proto3 defaults) -> EC2-shaped JSON (PascalCase, absent fields
 * omitted). Done once, before --query, so JMESPath expressions written for aws-cli work here.
 */

/** Keys whose EC2 spelling is not the plain PascalCase of the proto field name. */
const EC2_KEY_SPELLING: Readonly<Record<string, string>> = {
  DefaultVcpus: 'DefaultVCpus',
  SizeInMib: 'SizeInMiB',
  SizeInGb: 'SizeInGB',
  TotalSizeInGb: 'TotalSizeInGB',
  TotalSizeInMib: 'TotalSizeInMiB',
};

/** `vCpuInfo` -> `VCpuInfo`, `sizeInMib` -> `SizeInMiB` (EC2's spelling). */
export function pascalKey(key: string): string {
  const pascal = key.charAt(0).toUpperCase() + key.slice(1);
  return EC2_KEY_SPELLING[pascal] ?? pascal;
}

const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

function convert(value: unknown, topLevel: boolean): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => convert(v, false));
  if (typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  // A tag with an empty value is still a tag: EC2 returns `"Value": ""` for it.
  const isTag = 'key' in source && 'value' in source && Object.keys(source).length === 2;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(source)) {
    const v = convert(raw, false);
    const keep =
      !isEmpty(v) || (topLevel && Array.isArray(v)) || (isTag && key === 'value' && v === '');
    if (keep) out[pascalKey(key)] = v;
  }
  return out;
}

/**
 * Converts a response recursively: keys to PascalCase, Dates to ISO strings, bytes to base64.
 * Empty strings, empty lists and unset messages are dropped inside resources, as EC2 omits absent
 * fields; the response's own list keys stay (`{"Reservations": []}`), as in EC2. Zero and false
 * are kept: they are real values (state code 0 is pending).
 */
export function toPascalCase(value: unknown): unknown {
  return convert(value, true);
}
