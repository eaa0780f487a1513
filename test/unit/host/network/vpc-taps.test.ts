import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/core/logger.js';
import { IpLinks } from '../../../../src/host/network/ip-link.js';
import { VpcTaps } from '../../../../src/host/network/vpc-taps.js';
import { ipLinksJson, RecordingRunner } from './recording-runner.js';

const NS = 'kumo-vpc1';
const tap = (name: string) => ({ netns: NS, bridge: 'br1', tap: name });
const LIST = 'ip -j -d addr show';
const BATCH = 'ip -batch -';

describe('VpcTaps', () => {
  it('lists the links once, then makes a new tap with one batch and no listing', async () => {
    const runner = new RecordingRunner((line) =>
      line === LIST ? ipLinksJson([{ name: 'lo' }, { name: 'br1' }]) : undefined,
    );
    const taps = new VpcTaps(new IpLinks(runner, undefined), silentLogger);
    expect(await taps.ensure(NS, [tap('tapa'), tap('tapb')])).toEqual(['tapa', 'tapb']);
    expect(runner.take()).toEqual([LIST, BATCH]);
    expect(runner.commands).toEqual([]);
    expect(await taps.ensure(NS, [tap('tapc')])).toEqual(['tapc']);
    const [batch] = runner.commands;
    expect(runner.take()).toEqual([BATCH]);
    expect(batch?.netns).toBe(NS);
    expect(batch?.input).toBe('tuntap add dev tapc mode tap\nlink set dev tapc master br1 up\n');
  });

  it('measures again for a tap it already knows, and only fixes what is wrong', async () => {
    let links = ipLinksJson([{ name: 'br1' }]);
    const runner = new RecordingRunner((line) => (line === LIST ? links : undefined));
    const taps = new VpcTaps(new IpLinks(runner, undefined), silentLogger);
    await taps.ensure(NS, [tap('tapa')]);
    runner.take();
    // The tap is there, off its bridge: re-attached, not made again.
    links = ipLinksJson([{ name: 'br1' }, { name: 'tapa', up: false }]);
    expect(await taps.ensure(NS, [tap('tapa')])).toEqual([]);
    expect(runner.commands.map((c) => c.input ?? c.line)).toEqual([
      LIST,
      'link set dev tapa master br1 up\n',
    ]);
  });

  it('a batch that fails from what it knew makes it list the links and make only what is missing', async () => {
    let links = ipLinksJson([{ name: 'br1' }]);
    const runner = new RecordingRunner((line, input) => {
      if (line === LIST) return links;
      if (input?.includes('tuntap add dev tapx')) throw new Error('RTNETLINK answers: File exists');
    });
    const taps = new VpcTaps(new IpLinks(runner, undefined), silentLogger);
    await taps.ensure(NS, [tap('tapa')]);
    runner.take();
    // Something made tapx behind kumod's back, on the right bridge.
    links = ipLinksJson([
      { name: 'br1' },
      { name: 'tapa', master: 'br1' },
      { name: 'tapx', master: 'br1' },
    ]);
    expect(await taps.ensure(NS, [tap('tapx')])).toEqual([]);
    expect(runner.take()).toEqual([BATCH, LIST]); // the failed batch, the listing; nothing to fix
  });

  it('refuses a link of the tap’s name that is not a tap', async () => {
    const runner = new RecordingRunner((line) =>
      line === LIST ? ipLinksJson([{ name: 'vethtap' }]) : undefined,
    );
    const taps = new VpcTaps(new IpLinks(runner, undefined), silentLogger);
    await expect(taps.ensure(NS, [tap('vethtap')])).rejects.toThrow(
      /exists in kumo-vpc1 but is not a tap/,
    );
  });

  it('forget makes the next ensure list the links again', async () => {
    const runner = new RecordingRunner((line) =>
      line === LIST ? ipLinksJson([{ name: 'br1' }]) : undefined,
    );
    const taps = new VpcTaps(new IpLinks(runner, undefined), silentLogger);
    await taps.ensure(NS, [tap('tapa')]);
    taps.forget(NS);
    runner.take();
    await taps.ensure(NS, [tap('tapb')]);
    expect(runner.take()).toEqual([LIST, BATCH]);
  });
});
