import { describe, expect, it } from 'vitest';
import { parseProxyLine } from '../../../src/api/metadata-http.js';
import { KeyedMutex } from '../../../src/core/keyed-mutex.js';

describe('parseProxyLine', () => {
  it('takes the source address from a PROXY v1 line and rejects anything else', () => {
    expect(parseProxyLine('PROXY TCP4 172.31.0.4 169.254.169.254 40000 80')).toEqual({
      sourceIp: '172.31.0.4',
    });
    expect(parseProxyLine('GET / HTTP/1.1')).toBeUndefined();
    expect(parseProxyLine('PROXY TCP6 ::1 ::1 1 2')).toBeUndefined();
  });
});

describe('KeyedMutex', () => {
  it('serialises work per key and keeps going after a failure', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const slow = m.run('a', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('first');
      throw new Error('x');
    });
    const next = m.run('a', () => {
      order.push('second');
      return Promise.resolve(1);
    });
    await expect(slow).rejects.toThrow('x');
    expect(await next).toBe(1);
    expect(order).toEqual(['first', 'second']);
  });
});
