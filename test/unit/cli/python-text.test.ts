import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../../src/cli/code-point-order.js';
import { pythonCompactJson, pythonRepr, pythonStr } from '../../../src/cli/python-text.js';

/** The Python spellings aws-cli prints (values checked with python3 -c 'print(str(...))'). */
describe('Python text', () => {
  it('writes str() of JSON scalars', () => {
    expect([null, true, false, 'x', 16, -3, 2.5].map(pythonStr)).toEqual([
      'None',
      'True',
      'False',
      'x',
      '16',
      '-3',
      '2.5',
    ]);
    // Python switches to exponents outside 1e-4..1e16, with at least two digits.
    expect(pythonStr(0.0001)).toBe('0.0001');
    expect(pythonStr(0.00001)).toBe('1e-05');
    expect(pythonStr(1.5e-7)).toBe('1.5e-07');
    // An integer prints all its digits, where JavaScript would write 1e+21.
    expect(pythonStr(1e21)).toBe('1000000000000000000000');
  });

  it('writes repr() of lists and dicts, quoting as Python does', () => {
    expect(pythonRepr([{ Key: 'Name', Value: "it's" }, 1, null, true])).toBe(
      `[{'Key': 'Name', 'Value': "it's"}, 1, None, True]`,
    );
    expect(pythonRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(pythonRepr('tab\there\n\u0001é')).toBe("'tab\\there\\n\\x01é'");
    expect(pythonStr({ a: [] })).toBe("{'a': []}");
  });

  it('writes json.dumps(separators=(",", ":")): compact and ASCII only', () => {
    expect(pythonCompactJson({ a: [1, 'é😀\u007f'], b: null })).toBe(
      '{"a":[1,"\\u00e9\\ud83d\\ude00\\u007f"],"b":null}',
    );
  });

  it('orders strings by code point, as Python does', () => {
    const words = ['\uffff', '😀', 'b', 'B', 'ä', 'a'];
    expect([...words].sort(compareCodePoints)).toEqual(['B', 'a', 'b', 'ä', '\uffff', '😀']);
    // JavaScript's own order puts the emoji (a surrogate pair) before U+FFFF.
    expect([...words].sort()).not.toEqual([...words].sort(compareCodePoints));
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'a')).toBe(0);
  });
});
