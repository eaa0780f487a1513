import { UsageError } from './errors.js';
import { pythonCompactJson } from './python-text.js';

/**
 * The `NextToken` aws-cli prints when `--max-items` cuts a result short, and the
 * `--starting-token` it reads back, as botocore's paginator makes them (botocore/paginate.py,
 * TokenEncoder, TokenDecoder and PageIterator._parse_starting_token). A token printed by kumo
 * resumes in aws-cli and the other way round; a service token passed as is (what
 * `--no-paginate` prints) is taken as botocore takes it.
 */

/**
 * Where to resume: the service's NextToken (null, or botocore's 'None': the first page) and the
 * items to skip on that page.
 */
export interface StartingPoint {
  readonly nextToken: string | null;
  readonly skip: number;
}

/**
 * botocore's token: `json.dumps({"NextToken": ..., "boto_truncate_amount": N})` in base64. The
 * key order and Python's separators matter: the text is what aws-cli would print.
 */
export function encodeResumeToken(nextToken: string | null, truncateAmount?: number): string {
  const entries = [`"NextToken": ${pythonCompactJson(nextToken)}`];
  if (truncateAmount !== undefined) entries.push(`"boto_truncate_amount": ${truncateAmount}`);
  return Buffer.from(`{${entries.join(', ')}}`, 'utf8').toString('base64');
}

/**
 * Reads a `--starting-token`. A token that decodes (base64, as Python's lenient decoder reads it,
 * then UTF-8 JSON) to an object is botocore's own; anything else is taken as the service's token,
 * in botocore's older `token___skip` form where it has one.
 */
export function parseStartingToken(token: string): StartingPoint {
  const decoded = decodeBotocoreToken(token);
  if (decoded === undefined || Array.isArray(decoded)) return parseLegacyToken(token);
  if (typeof decoded !== 'object' || decoded === null) throw badToken(token);
  const fields = decoded as Record<string, unknown>;
  const { NextToken: next, boto_truncate_amount: skip = 0, ...rest } = fields;
  // botocore would send other keys as request parameters, which EC2's model refuses, and cannot
  // make a resume token from one without NextToken.
  if (!('NextToken' in fields) || Object.keys(rest).length > 0) throw badToken(token);
  if (next !== null && typeof next !== 'string') throw badToken(token);
  if (typeof skip !== 'number' || !Number.isInteger(skip)) throw badToken(token);
  // A 'None' stays as it is: botocore skips it when sending, and prints it back in a resume token.
  return { nextToken: next, skip };
}

const badToken = (token: string) => new UsageError(`Bad starting token: ${token}`);

/** The JSON value inside a botocore token, or undefined when the token is not one. */
function decodeBotocoreToken(token: string): unknown {
  const bytes = pythonBase64Decode(Buffer.from(token, 'utf8'));
  if (bytes === undefined) return undefined;
  let text: string;
  try {
    // Python's bytes.decode('utf-8'): strict, and a BOM stays (json.loads then refuses it).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** botocore's _parse_starting_token_deprecated: `token`, `token___N`, `None` for no token. */
function parseLegacyToken(token: string): StartingPoint {
  let parts = token.split('___');
  let skip = 0;
  if (parts.length === 2) {
    const index = pythonInt(parts[1] ?? '');
    if (index === undefined) parts = [token];
    else {
      skip = index;
      parts = parts.slice(0, 1);
    }
  }
  // One input token (NextToken): more parts than that is a token botocore cannot read.
  if (parts.length > 1) throw badToken(token);
  const [next = ''] = parts;
  return { nextToken: next === 'None' ? null : next, skip };
}

/** The characters Python's int() strips (str.isspace()), which JavaScript's \s does not match. */
const SPACE =
  '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PYTHON_INT = new RegExp(`^${SPACE}*([+-]?[0-9]+(?:_[0-9]+)*)${SPACE}*$`);

/**
 * Python's int() of a str, for the ASCII decimal forms it takes (`' 7'`, `'+7'`, `'1_000'`);
 * other scripts' digits, which Python also reads, are refused here.
 */
export function pythonInt(text: string): number | undefined {
  const digits = PYTHON_INT.exec(text)?.[1];
  return digits === undefined ? undefined : Number(digits.replace(/_/g, ''));
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = '='.charCodeAt(0);

/**
 * Python's base64.b64decode without validate (binascii.a2b_base64, non-strict): characters
 * outside the alphabet are skipped, '-' and '_' included (Node would read them as base64url),
 * a complete pad ends the input, and a dangling quad is an error (undefined here).
 */
export function pythonBase64Decode(input: Uint8Array): Uint8Array | undefined {
  const out: number[] = [];
  let quadPos = 0;
  let leftChar = 0;
  let pads = 0;
  for (const byte of input) {
    if (byte === PAD) {
      // CPython counts a pad only once two characters of the quad are in.
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const value = BASE64_ALPHABET.indexOf(String.fromCharCode(byte));
    if (byte >= 0x80 || value < 0) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        leftChar = value;
        break;
      case 1:
        out.push(((leftChar << 2) | (value >> 4)) & 0xff);
        leftChar = value & 0x0f;
        break;
      case 2:
        out.push(((leftChar << 4) | (value >> 2)) & 0xff);
        leftChar = value & 0x03;
        break;
      case 3:
        out.push(((leftChar << 6) | value) & 0xff);
        leftChar = 0;
        break;
    }
    quadPos = (quadPos + 1) % 4;
  }
  return quadPos === 0 ? Uint8Array.from(out) : undefined;
}
