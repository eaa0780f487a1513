import { model } from './ec2-model.js';

/**
 * Where the keys of `value` (parsed from the CLI's JSON, which keeps the printed order) break
 * aws-cli's order for `shapeName`, at every nested structure: EC2's members in the order of
 * botocore's model (fixtures/ec2-shapes.json keeps it; aws-cli prints a structure by walking its
 * members), then kumo's extensions. `seen` collects the structures met with two keys or more,
 * so a caller can check that the data really reached them.
 */
export function keyOrderProblems(
  value: unknown,
  shapeName: string,
  seen: Set<string> = new Set(),
  path = '$',
): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  if (shape.type === 'list' && Array.isArray(value))
    return value.flatMap((v, i) => keyOrderProblems(v, shape.member!.shape, seen, `${path}[${i}]`));
  if (shape.type !== 'structure' || typeof value !== 'object' || value === null) return [];
  const order = Object.keys(shape.members ?? {});
  const keys = Object.keys(value);
  if (keys.length > 1) seen.add(shapeName);
  const problems: string[] = [];
  let last = -1;
  let extension: string | undefined;
  for (const key of keys) {
    const at = order.indexOf(key);
    if (at < 0) {
      extension ??= key;
      continue;
    }
    if (extension !== undefined)
      problems.push(`${path}: ${key} (EC2's) comes after the extension ${extension}`);
    else if (at < last)
      problems.push(`${path}: ${key} comes after ${order[last]}, but ${shapeName} has it before`);
    last = Math.max(last, at);
  }
  for (const key of keys) {
    const member = shape.members?.[key];
    const inner = (value as Record<string, unknown>)[key];
    if (member) problems.push(...keyOrderProblems(inner, member.shape, seen, `${path}.${key}`));
  }
  return problems;
}
