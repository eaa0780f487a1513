/**
 * Python orders strings by Unicode code point; JavaScript's `<` and default sort() order them by
 * UTF-16 code unit, which puts characters above U+FFFF (emoji, rare CJK) before U+E000..U+FFFF.
 * aws-cli sorts table columns and JMESPath sorts values the Python way, so kumo does too.
 */
export function compareCodePoints(a: string, b: string): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i += 1) {
    if (a.charCodeAt(i) === b.charCodeAt(i)) continue;
    // At the first differing unit, a surrogate pair read whole gives its code point; any other
    // unit is its own code point.
    return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
  }
  return a.length - b.length;
}
