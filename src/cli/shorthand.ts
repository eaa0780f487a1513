/**
 * aws-cli's "shorthand syntax" for structured parameters, e.g.
 * `Name=instance-state-name,Values=running,stopped` or
 * `ResourceType=instance,Tags=[{Key=Name,Value=web},{Key=env,Value=ci}]`.
 *
 * This is the syntax only (no knowledge of which keys exist); structured-params.ts gives the
 * result its shape. Supported: `key=value` pairs separated by commas, `[a,b]` lists, `{k=v}`
 * structs, "double" and 'single' quoted strings, backslash escapes, and aws' trailing value lists
 * (`Values=a,b,c`: items after a comma that do not start a new `key=` belong to the previous key).
 */

/** A parsed shorthand value: scalars stay strings, as in aws-cli (the model decides types). */
export type ShorthandValue = string | ShorthandValue[] | { [key: string]: ShorthandValue };

/** A syntax error in a shorthand expression; the message names the position. */
export class ShorthandSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShorthandSyntaxError';
  }
}

const KEY_START = /^\s*[A-Za-z0-9_.:-]+\s*=/;

/** Parses a whole shorthand expression, which is always a struct at the top level. */
export function parseShorthand(input: string): Record<string, ShorthandValue> {
  const parser = new Parser(input);
  const result = parser.struct(null);
  parser.expectEnd();
  return result;
}

class Parser {
  private pos = 0;

  constructor(private readonly input: string) {}

  expectEnd(): void {
    this.skipSpace();
    if (this.pos < this.input.length) this.fail(`unexpected '${this.peek()}'`);
  }

  /** `key=value(,key=value)*`, ending at `closer` (or at the end of input when null). */
  struct(closer: '}' | null): Record<string, ShorthandValue> {
    const out: Record<string, ShorthandValue> = {};
    this.skipSpace();
    if (closer !== null && this.peek() === closer) return out;
    for (;;) {
      const key = this.key();
      out[key] = this.structValue(closer);
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.atEnd() && closer === null) return out;
      if (this.peek() === closer) return out;
      this.fail(closer === null ? "expected ','" : `expected ',' or '${closer}'`);
    }
  }

  private key(): string {
    this.skipSpace();
    const start = this.pos;
    while (!this.atEnd() && /[A-Za-z0-9_.:-]/.test(this.peek())) this.pos++;
    const key = this.input.slice(start, this.pos);
    if (key === '') this.fail('expected a key');
    this.skipSpace();
    if (this.peek() !== '=') this.fail(`expected '=' after '${key}'`);
    this.pos++;
    return key;
  }

  /** A struct member's value, absorbing `,item` continuations that are not a new `key=`. */
  private structValue(closer: '}' | null): ShorthandValue {
    this.skipSpace();
    const c = this.peek();
    if (c === '[') return this.list();
    if (c === '{') return this.hash();
    const first = this.scalar(closer === null ? [','] : [',', closer]);
    const items = [first];
    for (;;) {
      this.skipSpace();
      if (this.peek() !== ',' || KEY_START.test(this.input.slice(this.pos + 1))) break;
      const rest = this.input.slice(this.pos + 1).trimStart();
      if (rest === '' || rest.startsWith('[') || rest.startsWith('{')) break;
      this.pos++;
      items.push(this.scalar(closer === null ? [','] : [',', closer]));
    }
    return items.length === 1 ? first : items;
  }

  private list(): ShorthandValue[] {
    this.pos++; // '['
    const out: ShorthandValue[] = [];
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      const c = this.peek();
      if (c === '[') out.push(this.list());
      else if (c === '{') out.push(this.hash());
      else out.push(this.scalar([',', ']']));
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      if (this.peek() === ']') {
        this.pos++;
        return out;
      }
      this.fail("expected ',' or ']'");
    }
  }

  private hash(): Record<string, ShorthandValue> {
    this.pos++; // '{'
    const out = this.struct('}');
    this.pos++; // '}'
    return out;
  }

  /** A quoted or bare string; bare strings end at one of `stops` and are trimmed. */
  private scalar(stops: readonly string[]): string {
    this.skipSpace();
    const quote = this.peek();
    if (quote === '"' || quote === "'") {
      this.pos++;
      let out = '';
      while (!this.atEnd() && this.peek() !== quote) {
        if (this.peek() === '\\' && this.pos + 1 < this.input.length) this.pos++;
        out += this.peek();
        this.pos++;
      }
      if (this.atEnd()) this.fail(`unterminated ${quote} quote`);
      this.pos++;
      return out;
    }
    let out = '';
    while (!this.atEnd() && !stops.includes(this.peek())) {
      const c = this.peek();
      if (c === '[' || c === '{' || c === ']' || c === '}') this.fail(`unexpected '${c}'`);
      if (c === '\\' && this.pos + 1 < this.input.length) this.pos++;
      out += this.peek();
      this.pos++;
    }
    return out.trim();
  }

  private skipSpace(): void {
    while (!this.atEnd() && /\s/.test(this.peek())) this.pos++;
  }

  private peek(): string {
    return this.input[this.pos] ?? '';
  }

  private atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  private fail(what: string): never {
    const where = this.atEnd() ? 'at the end' : `at position ${this.pos + 1}`;
    throw new ShorthandSyntaxError(`${what} ${where}`);
  }
}
