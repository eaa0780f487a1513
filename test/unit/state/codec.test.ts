import { describe, expect, it } from 'vitest';
import { decodeDoc, encodeDoc } from '../../../src/state/codec.js';

describe('document codec', () => {
  it('round-trips dates and bytes at any depth, in objects and arrays', () => {
    const doc = {
      launchTime: new Date('2026-01-02T03:04:05.006Z'),
      userData: new Uint8Array([0, 1, 255]),
      volumes: [{ createdAt: new Date('2026-02-01T00:00:00Z'), tags: [{ key: 'a', value: 'b' }] }],
      nested: { deeper: { at: [new Date(0), null, 3, 'text'] } },
    };
    const back = decodeDoc<typeof doc>(encodeDoc(doc));
    expect(back).toEqual(doc);
    expect(back.launchTime).toBeInstanceOf(Date);
    expect(back.userData).toBeInstanceOf(Uint8Array);
    expect(back.volumes[0]?.createdAt).toBeInstanceOf(Date);
    expect(back.nested.deeper.at[0]).toBeInstanceOf(Date);
  });

  it('keeps strings that merely spell a tag as strings', () => {
    const doc = { tags: [{ key: '$date', value: '{"$date":"2026-01-01T00:00:00Z"}' }] };
    expect(decodeDoc(encodeDoc(doc))).toEqual(doc);
  });

  it('decodes documents without tagged values as plain JSON', () => {
    const doc = { id: 'eni-0123456789abcdef0', groupIds: ['sg-1'], sourceDestCheck: true };
    expect(decodeDoc(encodeDoc(doc))).toEqual(doc);
  });
});
