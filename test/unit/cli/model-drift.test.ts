import { describe, expect, it } from 'vitest';
import { OUTPUT_MEMBERS } from '../../../src/cli/output-order.js';
import { FOLLOWED_BOTOCORE } from './aws-reference.js';
import { expectedMembers, followedMembers, newerBotocore } from './model-drift.js';

/** The allowance ec2-model-aws makes for a newer botocore, without Python: it must stay strict. */
describe('a newer botocore model judges kumo', () => {
  const followed = ['A', 'B', 'C'];
  const NEWER = '99.0.0';

  it('orders versions numerically, not as text', () => {
    expect(newerBotocore('1.43.117', '1.43.11')).toBe(true);
    expect(newerBotocore('1.43.11', '1.43.11')).toBe(false);
    expect(newerBotocore('1.43.9', '1.43.11')).toBe(false);
    expect(newerBotocore('2.0.0', '1.99.99')).toBe(true);
  });

  it('takes the installed model exactly when it is the followed one or older', () => {
    expect(expectedMembers('X', ['A', 'N', 'B', 'C'], FOLLOWED_BOTOCORE, followed)).toEqual([
      'A',
      'N',
      'B',
      'C',
    ]);
    expect(expectedMembers('X', ['A', 'B'], '1.29.0', followed)).toEqual(['A', 'B']);
  });

  it('leaves out only the members a newer model added, keeping its order', () => {
    expect(expectedMembers('X', ['N1', 'A', 'B', 'N2', 'C'], NEWER, followed)).toEqual(followed);
  });

  it('still fails kumo on a wrong order, a missing member and one the model lacks', () => {
    const expected = expectedMembers('X', ['A', 'N', 'B', 'C'], NEWER, followed);
    expect(['B', 'A', 'C']).not.toEqual(expected);
    expect(['A', 'C']).not.toEqual(expected);
    expect(['A', 'B', 'C', 'Z']).not.toEqual(expected);
    // EC2 dropped C: kumo, still printing it, fails.
    expect(followed).not.toEqual(expectedMembers('X', ['A', 'B'], NEWER, followed));
  });

  it('is exact for an operation the fixture does not record, and for no output', () => {
    expect(expectedMembers('X', ['N', 'A'], NEWER, undefined)).toEqual(['N', 'A']);
    expect(expectedMembers('X', null, NEWER, followed)).toBeNull();
  });

  it("reads the followed model's members from the fixture, as kumo's table has them", () => {
    for (const [operation, members] of Object.entries(OUTPUT_MEMBERS))
      expect([operation, followedMembers(operation)]).toEqual([operation, members]);
  });
});
