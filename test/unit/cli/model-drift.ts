import { model as followedModel } from '../../api/support/ec2-model.js';
import { FOLLOWED_BOTOCORE } from './aws-reference.js';

/**
 * How a botocore newer than the one kumo's tables follow (FOLLOWED_BOTOCORE, whose model
 * test/api/fixtures/ec2-shapes.json keeps) still judges them: Debian's botocore (sid) moves on
 * every week, while the build machines pin the followed one (decision 0034).
 */

const versionOf = (v: string) => v.split('.').map(Number);

/** Whether botocore version `a` is newer than `b` ("1.43.117" > "1.43.11"). */
export function newerBotocore(a: string, b: string): boolean {
  const [x, y] = [versionOf(a), versionOf(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
}

/** An output's top-level members in the model kumo follows, where the fixture records it. */
export function followedMembers(operation: string): string[] | undefined {
  const shape = followedModel.outputs[operation];
  const members = shape === undefined ? undefined : followedModel.shapes[shape]?.members;
  return members === undefined ? undefined : Object.keys(members);
}

/**
 * The top-level keys kumo must print for `operation`, given the installed model's list. A newer
 * botocore may list members EC2 added since (CreateVolume gained VolumeArn and OwnerId after
 * 1.43.11): the members the followed model lacks are left out, and kumo must print every other
 * member in the installed model's order and nothing else, so a wrong order, a missing member or
 * one the installed model does not have (EC2 dropped it) still fails. With the followed botocore
 * itself (or an operation the fixture does not record) the list is the installed model's, exactly.
 */
export function expectedMembers(
  operation: string,
  installed: string[] | null,
  installedVersion: string,
  followed = followedMembers(operation),
): string[] | null {
  if (
    installed === null ||
    followed === undefined ||
    !newerBotocore(installedVersion, FOLLOWED_BOTOCORE)
  )
    return installed;
  return installed.filter((member) => followed.includes(member));
}
