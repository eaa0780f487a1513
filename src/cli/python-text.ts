/**
 * How Python turns JSON values into text. aws-cli is a Python program: its table and text
 * output print values with str(), and JMESPath's to_string() uses json.dumps(). kumo prints the
 * same bytes so scripts written against aws keep working.
 *
 * One gap cannot be closed: JavaScript has no separate float type, so a float that holds an
 * integer (Python's 48.0, from avg()) prints as 48 here.
 */

/** Python's repr() of a non-integral float: shortest round-trip digits, exponent form outside
 * 1e-4 <= |x| < 1e16, and at least two exponent digits ('1e-05'). */
function floatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const [mantissa = '', exponentText = '0'] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}

/** Python's str() of a JSON number: an integer prints all its digits, a float as repr(). */
function numberText(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : floatRepr(n);
}

/** Characters Python's str.isprintable() rejects: controls, format, separators (but space). */
const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

function escapeChar(ch: string, quote: string): string {
  if (ch === '\\') return '\\\\';
  if (ch === quote) return `\\${quote}`;
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  if (ch === ' ' || !NOT_PRINTABLE.test(ch)) return ch;
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** Python's repr() of a string: single quotes unless only double quotes avoid escaping. */
function stringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) out += escapeChar(ch, quote);
  return out + quote;
}

/** Python's repr() of a JSON value, as str() shows a list or dict: `{'Key': 'a'}`. */
export function pythonRepr(v: unknown): string {
  if (typeof v === 'string') return stringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).map(([k, x]) => `${stringRepr(k)}: ${pythonRepr(x)}`);
    return `{${entries.join(', ')}}`;
  }
  return pythonStr(v);
}

/** Python's str() of a JSON value: None/True/False, numbers as Python writes them. */
export function pythonStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'bigint') return v.toString();
  return pythonRepr(v);
}

/**
 * Python's `json.dumps(v, separators=(',', ':'))`: compact, and ASCII only (every other
 * character, DEL included, becomes a \uXXXX escape, astral ones as a surrogate pair).
 */
export function pythonCompactJson(v: unknown): string {
  const json = JSON.stringify(v) ?? 'null';
  return json.replace(
    /[^\x20-\x7e]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
