import type { Filter, TagSpecification } from '../gen/kumo/v1/common.js';
import { UsageError } from './errors.js';
import { parseShorthand, ShorthandSyntaxError, type ShorthandValue } from './shorthand.js';
import { loadTextParameter } from './user-data.js';

/**
 * Typed parameters built from aws-style arguments: each argument is either JSON (it starts with
 * `[` or `{`) or shorthand syntax, exactly like aws-cli accepts both for the same flag; either
 * may also come from a `file://` parameter file.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Value = ShorthandValue | Json;
export type Struct = { [key: string]: Value };

export const isStruct = (v: unknown): v is Struct =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function paramError(param: string, reason: string): UsageError {
  return new UsageError(`Error parsing parameter '${param}': ${reason}`);
}

/** Parses one argument into a list of structs (JSON may hold a list; shorthand is one struct). */
export function structsOf(arg: string, param: string): Struct[] {
  const text = loadTextParameter(arg, param).trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw paramError(param, `Invalid JSON: ${(e as Error).message}, in: ${text}`);
    }
    const items = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
    return items.map((item) => {
      if (!isStruct(item))
        throw paramError(param, `expected a JSON object, got ${JSON.stringify(item)}`);
      return item;
    });
  }
  try {
    return [parseShorthand(text)];
  } catch (e) {
    if (e instanceof ShorthandSyntaxError) throw paramError(param, `${e.message} of: ${text}`);
    throw e;
  }
}

export function checkKeys(s: Struct, allowed: readonly string[], param: string): void {
  for (const key of Object.keys(s)) {
    if (!allowed.includes(key))
      throw paramError(param, `unknown key '${key}' (expected ${allowed.join(', ')})`);
  }
}

export function stringOf(v: Value | undefined, what: string, param: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw paramError(param, `${what} must be a string`);
}

export function stringListOf(v: Value | undefined, what: string, param: string): string[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : [v];
  return items.map((item) => stringOf(item, `each of ${what}`, param));
}

/** `--filters Name=instance-state-name,Values=running,stopped` (repeatable) or the JSON form. */
export function parseFilters(args: readonly string[] | undefined, param = '--filters'): Filter[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, param).map((s) => {
      checkKeys(s, ['Name', 'Values'], param);
      if (s.Name === undefined) throw paramError(param, 'each filter needs a Name');
      return {
        name: stringOf(s.Name, 'Name', param),
        values: stringListOf(s.Values, 'Values', param),
      };
    }),
  );
}

/** `--tag-specifications ResourceType=instance,Tags=[{Key=a,Value=b}]` or the JSON form. */
export function parseTagSpecifications(
  args: readonly string[] | undefined,
  param = '--tag-specifications',
): TagSpecification[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, param).map((s) => {
      checkKeys(s, ['ResourceType', 'Tags'], param);
      const raw = s.Tags === undefined ? [] : Array.isArray(s.Tags) ? s.Tags : [s.Tags];
      const tags = raw.map((t) => {
        if (!isStruct(t)) throw paramError(param, 'each tag must be {Key=...,Value=...}');
        checkKeys(t, ['Key', 'Value'], param);
        if (t.Key === undefined) throw paramError(param, 'each tag needs a Key');
        return {
          key: stringOf(t.Key, 'Key', param),
          value: t.Value === undefined ? '' : stringOf(t.Value, 'Value', param),
        };
      });
      const resourceType = s.ResourceType === undefined ? '' : s.ResourceType;
      return { resourceType: stringOf(resourceType, 'ResourceType', param), tags };
    }),
  );
}

/**
 * `--tags Key=Name,Value=web Key=env` or the JSON form (CreateTags, DeleteTags). A tag without a
 * Value keeps it undefined: DeleteTags then deletes the key whatever its value, CreateTags sends "".
 */
export function parseTags(
  args: readonly string[] | undefined,
  param = '--tags',
): { key: string; value: string | undefined }[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, param).map((t) => {
      checkKeys(t, ['Key', 'Value'], param);
      if (t.Key === undefined) throw paramError(param, 'each tag needs a Key');
      return {
        key: stringOf(t.Key, 'Key', param),
        value: t.Value === undefined ? undefined : stringOf(t.Value, 'Value', param),
      };
    }),
  );
}

/**
 * An attribute value as aws accepts it for modify-instance-attribute: `t3.small`,
 * `Value=t3.small` or `{"Value":"t3.small"}`.
 */
export function parseAttributeValue(arg: string, param: string): string {
  const text = arg.trim();
  if (text.startsWith('{') || /^Value\s*=/.test(text)) {
    const [s] = structsOf(text, param);
    if (s === undefined) throw paramError(param, 'expected a value');
    checkKeys(s, ['Value'], param);
    return stringOf(s.Value, 'Value', param);
  }
  if (text === '') throw paramError(param, 'expected a value');
  return text;
}

/** `--count N` or `--count MIN:MAX`; the range check is the daemon's, so 0 is passed through. */
export function parseCount(arg: string): { minCount: number; maxCount: number } {
  const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(arg);
  if (!m?.[1]) throw paramError('--count', `expected N or MIN:MAX, got '${arg}'`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  return { minCount: min, maxCount: max };
}

/** A block device mapping as the CLI sends it (RunInstances). */
export interface BlockDeviceMappingParam {
  readonly deviceName: string;
  readonly ebs?: { volumeSize: number; deleteOnTermination?: boolean; volumeType: string };
}

export const booleanOf = (
  v: Value | undefined,
  what: string,
  param: string,
): boolean | undefined => {
  if (v === undefined) return undefined;
  const text = stringOf(v, what, param).toLowerCase();
  if (text !== 'true' && text !== 'false') throw paramError(param, `${what} must be true or false`);
  return text === 'true';
};

/**
 * `--block-device-mappings DeviceName=/dev/vda,Ebs={VolumeSize=4,DeleteOnTermination=false}`
 * (repeatable) or the JSON form.
 */
export function parseBlockDeviceMappings(
  args: readonly string[] | undefined,
  param = '--block-device-mappings',
): BlockDeviceMappingParam[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, param).map((s) => {
      checkKeys(s, ['DeviceName', 'Ebs'], param);
      if (s.DeviceName === undefined) throw paramError(param, 'each mapping needs a DeviceName');
      const deviceName = stringOf(s.DeviceName, 'DeviceName', param);
      if (s.Ebs === undefined) return { deviceName };
      if (!isStruct(s.Ebs)) throw paramError(param, 'Ebs must be {VolumeSize=...,...}');
      const e = s.Ebs;
      checkKeys(e, ['VolumeSize', 'DeleteOnTermination', 'VolumeType'], param);
      const size =
        e.VolumeSize === undefined ? 0 : Number(stringOf(e.VolumeSize, 'VolumeSize', param));
      if (!Number.isInteger(size))
        throw paramError(param, 'VolumeSize must be a whole number of GiB');
      return {
        deviceName,
        ebs: {
          volumeSize: size,
          deleteOnTermination: booleanOf(e.DeleteOnTermination, 'DeleteOnTermination', param),
          volumeType: e.VolumeType === undefined ? '' : stringOf(e.VolumeType, 'VolumeType', param),
        },
      };
    }),
  );
}

/** A DeleteOnTermination change as modify-instance-attribute sends it. */
export interface InstanceBlockDeviceMappingParam {
  readonly deviceName: string;
  readonly ebs: { volumeId: string; deleteOnTermination?: boolean };
}

/** `--block-device-mappings DeviceName=/dev/sdf,Ebs={DeleteOnTermination=true}` or JSON. */
export function parseInstanceBlockDeviceMappings(
  args: readonly string[] | undefined,
  param = '--block-device-mappings',
): InstanceBlockDeviceMappingParam[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, param).map((s) => {
      checkKeys(s, ['DeviceName', 'Ebs'], param);
      if (s.DeviceName === undefined) throw paramError(param, 'each mapping needs a DeviceName');
      if (!isStruct(s.Ebs)) throw paramError(param, 'Ebs must be {DeleteOnTermination=true|false}');
      const e = s.Ebs;
      checkKeys(e, ['VolumeId', 'DeleteOnTermination'], param);
      return {
        deviceName: stringOf(s.DeviceName, 'DeviceName', param),
        ebs: {
          volumeId: e.VolumeId === undefined ? '' : stringOf(e.VolumeId, 'VolumeId', param),
          deleteOnTermination: booleanOf(e.DeleteOnTermination, 'DeleteOnTermination', param),
        },
      };
    }),
  );
}
