/**
 * The request members of the EC2 operations kumo implements, as botocore's model
 * (data/ec2/2016-11-15/service-2.json) names and types them, limited to what kumo supports.
 * `--cli-input-json` reads these names and `--generate-cli-skeleton` prints them; the order is
 * the model's, because aws-cli prints skeleton keys in that order.
 * test/unit/cli/cli-input.test.ts checks every declaration against botocore's own skeleton.
 */

export type Shape =
  /** `example` is the value the skeleton shows for an enum (aws picks one at random). */
  | { readonly type: 'string'; readonly example?: string }
  | { readonly type: 'integer' }
  | { readonly type: 'boolean' }
  | { readonly type: 'blob' }
  | { readonly type: 'list'; readonly member: Shape }
  | { readonly type: 'structure'; readonly members: readonly StructureMember[] };

export interface StructureMember {
  readonly name: string;
  readonly shape: Shape;
}

/** One request member and the command-line option that carries it. */
export interface InputMember extends StructureMember {
  /** The option's attribute name in commander (`instanceIds` for --instance-ids). */
  readonly option: string;
  /**
   * The option value that stands for the member's JSON value; `input` is the whole
   * --cli-input-json object (MinCount and MaxCount share --count). Without it the value follows
   * from the shape: strings and booleans as they are, lists of strings as lists, structures
   * (and lists of them) as the JSON text the option's parser accepts.
   */
  readonly toOption?: (value: unknown, input: Readonly<Record<string, unknown>>) => unknown;
}

/** The EC2 operation a command calls and the members it accepts. */
export interface CommandInput {
  /** botocore's operation name; kumo's own operations (DescribeHost) have no model there. */
  readonly operation: string;
  readonly members: readonly InputMember[];
}

export const STRING: Shape = { type: 'string' };
export const BOOLEAN: Shape = { type: 'boolean' };
export const INTEGER: Shape = { type: 'integer' };
export const BLOB: Shape = { type: 'blob' };
export const STRING_LIST: Shape = { type: 'list', member: STRING };

/** A string that takes one of an enum's values; the skeleton shows `example`. */
export const enumOf = (example: string): Shape => ({ type: 'string', example });

export const structure = (...members: StructureMember[]): Shape => ({ type: 'structure', members });
export const listOf = (member: Shape): Shape => ({ type: 'list', member });

/** EC2's Filter list: `[{Name, Values}]`. */
export const FILTERS: Shape = listOf(
  structure({ name: 'Name', shape: STRING }, { name: 'Values', shape: STRING_LIST }),
);

/** EC2's TagSpecification list for one resource type. */
export const tagSpecifications = (resourceType: string): Shape =>
  listOf(
    structure(
      { name: 'ResourceType', shape: enumOf(resourceType) },
      {
        name: 'Tags',
        shape: listOf(structure({ name: 'Key', shape: STRING }, { name: 'Value', shape: STRING })),
      },
    ),
  );

/** EC2's Tag list (CreateTags, DeleteTags): `[{Key, Value}]`. */
export const TAGS: Shape = listOf(
  structure({ name: 'Key', shape: STRING }, { name: 'Value', shape: STRING }),
);

/** EC2's AttributeBooleanValue: `{Value}`. */
export const ATTRIBUTE_BOOLEAN_VALUE: Shape = structure({ name: 'Value', shape: BOOLEAN });
/** EC2's BlockDeviceMapping list, limited to what kumo takes (botocore's member order). */
export const BLOCK_DEVICE_MAPPINGS: Shape = listOf(
  structure(
    {
      name: 'Ebs',
      shape: structure(
        { name: 'DeleteOnTermination', shape: BOOLEAN },
        { name: 'VolumeSize', shape: INTEGER },
        { name: 'VolumeType', shape: enumOf('gp3') },
      ),
    },
    { name: 'DeviceName', shape: STRING },
  ),
);

/** EC2's InstanceBlockDeviceMappingSpecification list (ModifyInstanceAttribute). */
export const INSTANCE_BLOCK_DEVICE_MAPPINGS: Shape = listOf(
  structure(
    { name: 'DeviceName', shape: STRING },
    {
      name: 'Ebs',
      shape: structure(
        { name: 'VolumeId', shape: STRING },
        { name: 'DeleteOnTermination', shape: BOOLEAN },
      ),
    },
  ),
);

/** EC2's AttributeValue: `{Value}`. */
export const ATTRIBUTE_VALUE: Shape = structure({ name: 'Value', shape: STRING });

/** The skeleton aws-cli prints for these members: placeholders of each member's type. */
export function skeletonOf(members: readonly StructureMember[]): Record<string, unknown> {
  return Object.fromEntries(members.map((m) => [m.name, placeholder(m.shape)]));
}

function placeholder(shape: Shape): unknown {
  switch (shape.type) {
    case 'string':
      return shape.example ?? '';
    case 'integer':
      return 0;
    case 'boolean':
      return true;
    case 'blob':
      // botocore's generator has no case for blobs, so aws-cli prints null.
      return null;
    case 'list':
      return [placeholder(shape.member)];
    case 'structure':
      return skeletonOf(shape.members);
  }
}
