import { beforeAll, describe, expect, it } from 'vitest';
import {
  encodeResumeToken,
  parseStartingToken,
  pythonBase64Decode,
  pythonInt,
} from '../../../src/cli/paging-token.js';
import { referencePython, runReference } from './aws-reference.js';

/**
 * `--starting-token` and the NextToken of `--max-items`, against botocore's own TokenEncoder and
 * PageIterator._parse_starting_token: the same text for the same resume point, and the same
 * reading of every kind of token a user may pass back.
 */
const python = referencePython(['botocore.paginate']);

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
/** A token as kumod makes them: base64url JSON without padding. */
const kumodToken = (k: string) =>
  Buffer.from(JSON.stringify({ v: 1, o: 'DescribeInstances', q: 'abc', k })).toString('base64url');

const RESUME_POINTS: readonly { NextToken: string | null; boto_truncate_amount?: number }[] = [
  { NextToken: null, boto_truncate_amount: 2 },
  { NextToken: 'tok-1' },
  { NextToken: 'tok-1', boto_truncate_amount: 0 },
  { NextToken: kumodToken('0000000007'), boto_truncate_amount: 3 },
  { NextToken: null, boto_truncate_amount: -1 },
  // Python's json.dumps escapes what is not ASCII, and quotes and controls as JSON does.
  { NextToken: 'é"\\\n\u007f😀', boto_truncate_amount: 1 },
];

const TOKENS: readonly string[] = [
  // botocore's own, as kumo and aws-cli print them.
  ...RESUME_POINTS.map((p) => encodeResumeToken(p.NextToken, p.boto_truncate_amount)),
  b64('{"NextToken": "None", "boto_truncate_amount": 2}'),
  b64('{"boto_truncate_amount": 2, "NextToken": "x"}'),
  // kumod's own tokens, passed as they are (what --no-paginate prints): kumod's base64url
  // usually fails Python's decoder; when it does not ('000'), the JSON inside is read as
  // botocore's, and its keys are not botocore's.
  kumodToken('000'),
  kumodToken('0000000001'),
  kumodToken('0000000012'),
  kumodToken('00000000123'),
  kumodToken('i-0123456789abcdef0'),
  // botocore's older form: token___skip.
  'tok___3',
  'None___2',
  'tok___x',
  'a___b___c',
  'tok___ 4 ',
  'tok___1_0',
  'None',
  'plain',
  '',
  // JSON that is not botocore's.
  b64('[1, 2]'),
  b64('"text"'),
  b64('7'),
  b64('{"NextToken": "x", "Extra": 1}'),
  b64('{"NextToken": 5}'),
  b64('{"NextToken": "x", "boto_truncate_amount": "2"}'),
  b64('{"NextToken": "x", "boto_truncate_amount": true}'),
  b64('{"boto_truncate_amount": 2}'),
  // Base64 oddities: padding, characters outside the alphabet, bad UTF-8.
  `${b64('{"NextToken": "x"}')}==`,
  `\n${b64('{"NextToken": "x"}')}`,
  b64('{"NextToken": "x"}').replace(/=+$/, ''),
  Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'),
  `${b64('\ufeff{"NextToken": "x"}')}`,
];

type Parsed =
  | { token: Record<string, unknown>; skip: unknown }
  | { error: string }
  | { NextToken: string | null; skip: number };

/** kumo's reading of a token, in the reference's terms. */
function kumoParse(token: string): { NextToken: string | null; skip: number } | { error: string } {
  try {
    const { nextToken, skip } = parseStartingToken(token);
    return { NextToken: nextToken, skip };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * Where botocore reads a token kumo can follow: one input token (NextToken) that is a string or
 * None and an integer skip. Anything else botocore sends on as request parameters (which EC2's
 * model refuses) or fails on; kumo refuses those tokens before calling.
 */
function followable(parsed: Parsed): { NextToken: string | null; skip: number } | undefined {
  if (!('token' in parsed)) return undefined;
  const { token, skip } = parsed;
  const keys = Object.keys(token);
  const next = token.NextToken;
  if (keys.length !== 1 || keys[0] !== 'NextToken') return undefined;
  if (next !== null && typeof next !== 'string') return undefined;
  if (typeof skip !== 'number' || !Number.isInteger(skip)) return undefined;
  return { NextToken: next, skip };
}

describe.skipIf(python === undefined)('paging tokens against botocore', () => {
  let botocore: { parsed: Parsed[]; resume: string[] };

  beforeAll(() => {
    botocore = runReference(python ?? '', 'botocore_paging.py', {
      operations: [],
      tokens: TOKENS,
      resume: RESUME_POINTS,
    });
  });

  RESUME_POINTS.forEach((point, i) => {
    it(`encodes ${JSON.stringify(point)} as botocore does`, () => {
      expect(encodeResumeToken(point.NextToken, point.boto_truncate_amount)).toBe(
        botocore.resume[i],
      );
    });
  });

  TOKENS.forEach((token, i) => {
    it(`reads --starting-token ${JSON.stringify(token)} as botocore does`, () => {
      const expected = followable(botocore.parsed[i] as Parsed);
      const mine = kumoParse(token);
      if (expected === undefined) expect(mine).toHaveProperty('error');
      else expect(mine).toEqual(expected);
    });
  });

  it('cover tokens botocore follows and tokens it cannot', () => {
    const kinds = botocore.parsed.map((p) => followable(p) !== undefined);
    expect(new Set(kinds)).toEqual(new Set([true, false]));
  });
});

describe('paging tokens', () => {
  it('round-trip: a resume token reads back as its resume point', () => {
    for (const point of RESUME_POINTS)
      expect(
        parseStartingToken(encodeResumeToken(point.NextToken, point.boto_truncate_amount)),
      ).toEqual({ nextToken: point.NextToken, skip: point.boto_truncate_amount ?? 0 });
  });

  it("are encoded with Python's separators", () => {
    expect(Buffer.from(encodeResumeToken('t', 2), 'base64').toString()).toBe(
      '{"NextToken": "t", "boto_truncate_amount": 2}',
    );
  });

  it("decode base64 as Python's lenient decoder does", () => {
    const hex = (s: string) => {
      const out = pythonBase64Decode(Buffer.from(s));
      return out === undefined ? undefined : Buffer.from(out).toString('hex');
    };
    expect(hex('QUJD')).toBe('414243');
    // '-' and '_' are not in the alphabet: skipped, not read as base64url.
    expect(hex('QU-JD')).toBe('414243');
    // A complete pad ends the input; a pad too early is skipped.
    expect(hex('QUJD=RA==')).toBe('41424344');
    expect(hex('QU=JD')).toBe('414243');
    expect(hex('QQ=QQQQ=')).toBeUndefined();
    expect(hex('Q===')).toBeUndefined();
  });

  it("read integers as Python's int() does", () => {
    expect(['7', ' 7 ', '+7', '-7', '1_000', '\x1c7'].map(pythonInt)).toEqual([
      7, 7, 7, -7, 1000, 7,
    ]);
    expect(['', '7.0', '0x7', '1__0', '_1', 'seven', '\ufeff7'].map(pythonInt)).toEqual(
      Array(7).fill(undefined),
    );
  });
});
