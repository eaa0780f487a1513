import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The part of botocore's EC2 model kumo's responses follow (fixtures/ec2-shapes.json). */
export const model = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/ec2-shapes.json'), 'utf8'),
) as {
  /** The botocore version the extract was made from. */
  botocore: string;
  outputs: Record<string, string>;
  shapes: Record<
    string,
    { type: string; members?: Record<string, { shape: string }>; member?: { shape: string } }
  >;
};

/** Keys of `value` that EC2's shape does not have, anywhere inside (empty when all are EC2's). */
export function unknownKeys(value: unknown, shapeName: string, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  if (shape.type === 'structure' && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => {
      const m = shape.members?.[k];
      return m ? unknownKeys(v, m.shape, `${path}.${k}`) : [`${path}.${k}`];
    });
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    return value.flatMap((v, i) => unknownKeys(v, shape.member!.shape, `${path}[${i}]`));
  }
  return [];
}
