import { describe, expect, it } from 'vitest';
import { renderProxyHeaderV1, toIpv4 } from '../../../../src/host/network/proxy-header.js';
import { parseProxyLine } from '../../../../src/api/metadata-http.js';

describe('renderProxyHeaderV1', () => {
  const c = { sourceIp: '172.31.0.4', sourcePort: 40312, destIp: '169.254.169.254', destPort: 80 };

  it('renders the PROXY v1 TCP4 line', () => {
    expect(renderProxyHeaderV1(c)).toBe('PROXY TCP4 172.31.0.4 169.254.169.254 40312 80\r\n');
  });

  it('is what kumod parses', () => {
    expect(parseProxyLine(renderProxyHeaderV1(c).trimEnd())).toEqual({ sourceIp: '172.31.0.4' });
  });

  it('unwraps IPv4-mapped IPv6 addresses', () => {
    expect(renderProxyHeaderV1({ ...c, sourceIp: '::ffff:172.31.0.4' })).toBe(
      'PROXY TCP4 172.31.0.4 169.254.169.254 40312 80\r\n',
    );
  });

  it.each([
    { sourceIp: 'fe80::1' },
    { sourceIp: '' },
    { sourceIp: '172.31.0.4\r\nGET /' },
    { destIp: '256.1.1.1' },
    { sourcePort: -1 },
    { destPort: 65536 },
    { sourcePort: 1.5 },
  ])('refuses %j', (patch) => {
    expect(() => renderProxyHeaderV1({ ...c, ...patch })).toThrow();
  });
});

describe('toIpv4', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::1', undefined],
    ['01.2.3.4', undefined],
    [undefined, undefined],
  ])('%j -> %j', (input, out) => {
    expect(toIpv4(input)).toBe(out);
  });
});
