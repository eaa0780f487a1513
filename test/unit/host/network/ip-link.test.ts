import { describe, expect, it } from 'vitest';
import { parseLinkJson } from '../../../../src/host/network/ip-link.js';

describe('parseLinkJson', () => {
  it('reads a tap enslaved to a bridge', () => {
    const json = JSON.stringify([
      {
        ifindex: 3,
        ifname: 'tapx',
        flags: ['BROADCAST', 'MULTICAST', 'UP'],
        master: 'br0',
        linkinfo: { info_kind: 'tun', info_data: { type: 'tap', vnet_hdr: false } },
        addr_info: [],
      },
    ]);
    expect(parseLinkJson(json)).toEqual({
      name: 'tapx',
      ifindex: 3,
      peerIndex: undefined,
      up: true,
      master: 'br0',
      kind: 'tun',
      tunType: 'tap',
      nfCallIptables: undefined,
      ipv4: [],
    });
  });

  it('reads a bridge with addresses (IPv4 only) and a veth peer in another namespace', () => {
    const bridge = parseLinkJson(
      JSON.stringify([
        {
          ifindex: 2,
          ifname: 'br0',
          flags: ['NO-CARRIER', 'BROADCAST'],
          linkinfo: { info_kind: 'bridge', info_data: { nf_call_iptables: 1 } },
          addr_info: [
            { family: 'inet', local: '10.0.0.1', prefixlen: 24 },
            { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
          ],
        },
      ]),
    );
    expect(bridge).toMatchObject({ up: false, nfCallIptables: true, ipv4: ['10.0.0.1/24'] });
    const veth = parseLinkJson(
      JSON.stringify([
        {
          ifindex: 7,
          ifname: 'kv1',
          link_index: 2,
          link_netnsid: 0,
          linkinfo: { info_kind: 'veth' },
        },
      ]),
    );
    expect(veth).toMatchObject({ kind: 'veth', peerIndex: 2 });
  });

  it('is undefined for an empty answer', () => {
    expect(parseLinkJson('[]')).toBeUndefined();
  });
});
