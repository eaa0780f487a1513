import { pascalKey } from './pascal-case.js';

/**
 * The sample response `--generate-cli-skeleton output` prints, made the way aws-cli makes its
 * own: every field present, a string holding its own name ("InstanceId": "InstanceId"), numbers
 * 0, booleans true, one element per list. The fields are the ones kumod really returns, read
 * from the .proto files (which ship beside dist/, as kumod reads them for reflection), so the
 * sample never promises a field kumo does not fill.
 */

/** The slice of a protobuf DescriptorProto this needs. */
interface MessageDescriptor {
  readonly field: readonly {
    readonly name: string;
    readonly label: string;
    readonly type: string;
    readonly typeName: string;
  }[];
}

interface Definitions {
  readonly [name: string]: unknown;
}

const PROTO_DIR = new URL('../../proto/', import.meta.url);
const PROTO_FILES = ['host', 'images', 'instance_types', 'instances', 'key_pairs'].map(
  (n) => `kumo/v1/${n}.proto`,
);
const PACKAGE = 'kumo.v1';

let loaded: Promise<Definitions> | undefined;

/** The proto definitions, loaded once and only for a skeleton: a normal run never pays for it. */
function definitions(): Promise<Definitions> {
  loaded ??= import('@grpc/proto-loader').then(
    ({ loadSync }) =>
      loadSync(PROTO_FILES, {
        includeDirs: [decodeURIComponent(PROTO_DIR.pathname)],
      }) as Definitions,
  );
  return loaded;
}

function messageNamed(defs: Definitions, typeName: string): MessageDescriptor | undefined {
  const name = typeName.replace(/^\./, '');
  const found = (defs[name] ?? defs[`${PACKAGE}.${name}`]) as { type?: unknown } | undefined;
  return found?.type as MessageDescriptor | undefined;
}

function sampleMessage(
  defs: Definitions,
  message: MessageDescriptor,
  seen: readonly MessageDescriptor[],
): Record<string, unknown> {
  const sample: Record<string, unknown> = {};
  for (const field of message.field) {
    const one = sampleField(defs, field.name, field.type, field.typeName, [...seen, message]);
    sample[field.name] = field.label === 'LABEL_REPEATED' ? [one] : one;
  }
  return sample;
}

function sampleField(
  defs: Definitions,
  name: string,
  type: string,
  typeName: string,
  seen: readonly MessageDescriptor[],
): unknown {
  switch (type) {
    case 'TYPE_STRING':
      return pascalKey(name);
    case 'TYPE_BOOL':
      return true;
    case 'TYPE_BYTES':
      return Buffer.from(pascalKey(name));
    case 'TYPE_MESSAGE': {
      if (typeName.endsWith('google.protobuf.Timestamp')) return new Date(0);
      const message = messageNamed(defs, typeName);
      // A message inside itself would never end; aws stops the same way, with {}.
      if (message === undefined || seen.includes(message)) return {};
      return sampleMessage(defs, message, seen);
    }
    default:
      // Every numeric type.
      return 0;
  }
}

/** A sample response of `operation` (an RPC name, `DescribeInstances`), shaped as ts-proto's. */
export async function sampleResponse(operation: string): Promise<unknown> {
  const defs = await definitions();
  for (const value of Object.values(defs)) {
    const method = (value as Record<string, { responseType?: { type: unknown } } | undefined>)[
      operation
    ];
    if (method?.responseType !== undefined)
      return sampleMessage(defs, method.responseType.type as MessageDescriptor, []);
  }
  throw new Error(`kumod has no ${operation} call to sample`);
}
