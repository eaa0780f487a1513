import { execa, type ResultPromise } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SpawnerCommandRunner } from '../../../src/host/spawner/spawner-runner.js';
import { readPidFile } from '../../../src/host/network/detached-process.js';
import { dnsmasqPaths } from '../../../src/host/network/dnsmasq-config.js';
import { LinuxNetworkHost } from '../../../src/host/network/linux-network-host.js';
import { proxyPaths } from '../../../src/host/network/metadata-proxy-launcher.js';
import type { Logger } from '../../../src/core/logger.js';
import type { CommandRunner } from '../../../src/host/command-runner.js';
import type { PolicyRoutingSpec } from '../../../src/host/network/policy-routing.js';
import type {
  PublicBridgeSpec,
  SubnetHostSpec,
  TapSpec,
  VpcHostSpec,
  VpcRulesSpec,
} from '../../../src/host/network/specs.js';
import { eventually } from '../harness/kumod-harness.js';
import { createNetns, deleteNetnsWithPrefix, randomTag } from '../harness/netns.js';
import { integrationSuite } from '../harness/prerequisites.js';
import {
  alive,
  compileMetadataProxy,
  nsRun,
  nsSpawn,
  procStatField,
  startMetadataStub,
} from './fixtures.js';

/**
 * The real adapter against the real kernel, ip, iptables-restore and dnsmasq. Everything lives in
 * namespaces this file makes (an outer one plays kumod's namespace via `hostNetns`), so the
 * machine's own network is never touched; afterAll removes them whatever happened.
 */
integrationSuite(
  'LinuxNetworkHost on the real kernel',
  () => {
    const tag = randomTag();
    const prefix = `kt-net-${tag}`;
    const outer = prefix;
    const inst = `${prefix}-inst`;
    const dir = mkdtempSync(join(tmpdir(), `kumo-net-${tag}-`));
    const warnings: string[] = [];
    const logger: Logger = {
      info: () => undefined,
      debug: () => undefined,
      error: (m) => warnings.push(m),
      warn: (m) => warnings.push(m),
    };
    // The runner kumod uses (the spawner helper, from the build).
    const spawner = new SpawnerCommandRunner([
      process.execPath,
      resolve(import.meta.dirname, '../../../dist/host/spawner/spawner-main.js'),
    ]);
    // Every command the adapter runs, as "program arg...", so tests can see what it measured.
    const commands: string[] = [];
    const runner: CommandRunner = {
      run: (command, args, options) => {
        commands.push([command, ...args].join(' '));
        return spawner.run(command, args, options);
      },
    };
    let proxyCommand: string[];
    let host: LinuxNetworkHost;
    let stub: Server | undefined;
    const helpers: ResultPromise[] = [];

    const bridge: PublicBridgeSpec = { bridge: 'kumo-pub', hostAddress: '100.80.0.1/24' };
    const vpc: VpcHostSpec = {
      vpcId: 'vpc-0123456789abcdef0',
      netns: `${prefix}-vpc`,
      publicBridge: 'kumo-pub',
      uplinkHostIf: `kv${tag}`,
      uplinkVpcIf: 'uplink',
      routerAddress: '100.80.0.2/24',
      publicGateway: '100.80.0.1',
      metadataSocket: join(dir, 'metadata', 'vpc.sock'),
      runDir: join(dir, 'run', 'vpc'),
    };
    // The fake instance: a veth standing in for QEMU's tap (an unattached tap has no carrier).
    const port = { tap: `tapf${tag}`, mac: '52:54:00:00:00:04', ip: '172.31.0.4' };
    const subnet: SubnetHostSpec = {
      subnetId: 'subnet-0123456789abcdef0',
      netns: vpc.netns,
      bridge: 'br-test',
      gatewayAddress: '172.31.0.1/20',
      cidr: '172.31.0.0/20',
      domain: 'kumo.internal',
      dnsServers: [],
      reservations: [{ mac: port.mac, ip: port.ip, hostname: 'ip-172-31-0-4' }],
      runDir: join(dir, 'run', 'subnet'),
    };
    const tap: TapSpec = { netns: vpc.netns, bridge: 'br-test', tap: `tap${tag}` };
    const rules: VpcRulesSpec = {
      netns: vpc.netns,
      uplinkVpcIf: 'uplink',
      vpcCidr: '172.31.0.0/16',
      ports: [port, { tap: tap.tap, mac: '52:54:00:00:00:05', ip: '172.31.0.5' }],
      publicIps: [{ publicIp: '100.80.0.10', privateIp: port.ip }],
    };
    const pids = async () => ({
      proxy: await readPidFile(proxyPaths(vpc.runDir).pidFile),
      dnsmasq: await readPidFile(dnsmasqPaths(subnet.runDir).pidFile),
    });

    beforeAll(async () => {
      // dnsmasq drops to "nobody" and rereads its hosts file as that user: let it through.
      chmodSync(dir, 0o755);
      mkdirSync(join(dir, 'metadata'), { mode: 0o700 });
      proxyCommand = [process.execPath, await compileMetadataProxy(join(dir, 'proxy'))];
      await createNetns(outer);
      host = new LinuxNetworkHost(runner, {
        metadataProxyCommand: proxyCommand,
        logger,
        hostNetns: outer,
      });
      for (let i = 0; i < 2; i++) {
        await host.ensurePublicBridge(bridge);
        await host.ensureVpc(vpc);
        await host.ensureSubnet(subnet);
        await host.ensureTaps([tap]);
        await host.applyVpcRules(rules);
      }
      await createNetns(inst);
      // prettier-ignore
      await execa('ip', ['-n', inst, 'link', 'add', 'eth0', 'address', port.mac, 'type', 'veth',
        'peer', 'name', port.tap, 'netns', vpc.netns]);
      await execa('ip', ['-n', vpc.netns, 'link', 'set', port.tap, 'master', 'br-test', 'up']);
      await execa('ip', ['-n', inst, 'link', 'set', 'eth0', 'up']);
    }, 120_000);

    afterAll(async () => {
      spawner.close();
      for (const h of helpers) h.kill('SIGKILL');
      stub?.close();
      // Helpers first (they would keep a deleted namespace alive), then namespaces, then files.
      const left = await pids();
      for (const pid of [left.proxy, left.dnsmasq]) {
        if (pid !== undefined && (await alive(pid))) process.kill(pid, 'SIGKILL');
      }
      for (const ns of [`${prefix}-vpc`, `${prefix}-vpc2`, inst, outer]) {
        const r = await execa('ip', ['netns', 'pids', ns], { reject: false });
        for (const pid of r.stdout.split('\n').filter(Boolean))
          process.kill(Number(pid), 'SIGKILL');
      }
      await deleteNetnsWithPrefix(prefix);
      rmSync(dir, { recursive: true, force: true });
    });

    it('builds the VPC idempotently: a second round and a "restarted" adapter change nothing', async () => {
      const before = await pids();
      expect(before.proxy).toBeDefined();
      expect(before.dnsmasq).toBeDefined();
      // A fresh adapter is what kumod is after a restart: it must adopt, not restart, its helpers.
      const again = new LinuxNetworkHost(runner, {
        metadataProxyCommand: proxyCommand,
        logger,
        hostNetns: outer,
      });
      await again.ensurePublicBridge(bridge);
      await again.ensureVpc(vpc);
      await again.ensureSubnet(subnet);
      await again.ensureTaps([tap]);
      expect(await pids()).toEqual(before);
      // Both helpers are detached from kumod: their own session, so they outlive it.
      expect(await procStatField(before.proxy!, 6)).toBe(String(before.proxy));
      expect(await procStatField(before.dnsmasq!, 4)).not.toBe(String(process.pid));
      expect(warnings).toEqual([]);

      const br = await nsRun(outer, 'ip', ['-br', 'addr', 'show', 'dev', 'kumo-pub']);
      expect(br.stdout).toContain('100.80.0.1/24');
      const hostIf = await nsRun(outer, 'ip', ['-o', 'link', 'show', 'dev', vpc.uplinkHostIf]);
      expect(hostIf.stdout).toContain('master kumo-pub');
      const lo = await nsRun(vpc.netns, 'ip', ['-br', 'addr', 'show', 'dev', 'lo']);
      expect(lo.stdout).toContain('169.254.169.254/32');
      const t = await nsRun(vpc.netns, 'ip', ['-d', 'link', 'show', 'dev', tap.tap]);
      expect(t.stdout).toMatch(/master br-test/);
      expect(t.stdout).toMatch(/tun type tap/);
      const sysctl = await nsRun(vpc.netns, 'sysctl', [
        '-n',
        'net.ipv4.ip_forward',
        'net.bridge.bridge-nf-call-iptables',
      ]);
      expect(sysctl.stdout.split('\n')).toEqual(['1', '1']);
      // The machine's own namespace has none of it.
      const own = await execa('ip', ['link', 'show', 'dev', vpc.uplinkHostIf], { reject: false });
      expect(own.exitCode).not.toBe(0);
    });

    it('heals: a killed dnsmasq is restarted, a proxy that lost its pid file is replaced', async () => {
      const before = await pids();
      process.kill(before.dnsmasq!, 'SIGKILL');
      rmSync(proxyPaths(vpc.runDir).pidFile);
      await host.ensureVpc(vpc);
      await host.ensureSubnet(subnet);
      const after = await pids();
      expect(after.dnsmasq).not.toBe(before.dnsmasq);
      expect(after.proxy).not.toBe(before.proxy);
      expect(await alive(after.dnsmasq!)).toBe(true);
      expect(await alive(after.proxy!)).toBe(true);
      expect(await alive(before.proxy!)).toBe(false);
    });

    it('heals a proxy it already knows: a killed one is started again, a live one is kept', async () => {
      await host.ensureVpc(vpc);
      const known = await pids();
      await host.ensureVpc(vpc);
      expect((await pids()).proxy).toBe(known.proxy);
      process.kill(known.proxy!, 'SIGKILL');
      await eventually(
        'the killed proxy to be gone',
        async () => ((await alive(known.proxy!)) ? undefined : true),
        { timeoutMs: 5_000, intervalMs: 20 },
      );
      await host.ensureVpc(vpc);
      const after = await pids();
      expect(after.proxy).not.toBe(known.proxy);
      expect(await alive(after.proxy!)).toBe(true);
    });

    it('rebuilds a VPC whose namespace was deleted by hand in one round, bridges and rules included', async () => {
      const vpc2: VpcHostSpec = {
        ...vpc,
        vpcId: 'vpc-0123456789abcdef2',
        netns: `${prefix}-vpc2`,
        uplinkHostIf: `kw${tag}`,
        routerAddress: '100.80.0.3/24',
        metadataSocket: join(dir, 'metadata', 'vpc2.sock'),
        runDir: join(dir, 'run', 'vpc2'),
      };
      const subnet2: SubnetHostSpec = {
        ...subnet,
        subnetId: 'subnet-0123456789abcdef2',
        netns: vpc2.netns,
        bridge: 'br-two',
        reservations: [],
        runDir: join(dir, 'run', 'subnet2'),
      };
      const tap2: TapSpec = { netns: vpc2.netns, bridge: 'br-two', tap: `tw${tag}` };
      const rules2: VpcRulesSpec = {
        ...rules,
        netns: vpc2.netns,
        ports: [{ tap: tap2.tap, mac: '52:54:00:00:00:06', ip: '172.31.0.6' }],
        publicIps: [],
      };
      const round = async () => {
        await host.ensureVpc(vpc2);
        await host.ensureSubnet(subnet2);
        await host.ensureTaps([tap2]);
        await host.applyVpcRules(rules2);
      };
      try {
        await round();
        // Deleted behind kumod's back, its processes with it.
        const inside = await execa('ip', ['netns', 'pids', vpc2.netns]);
        for (const pid of inside.stdout.split('\n').filter(Boolean))
          process.kill(Number(pid), 'SIGKILL');
        await execa('ip', ['netns', 'del', vpc2.netns]);
        await round();
        const tapLink = await nsRun(vpc2.netns, 'ip', ['-o', 'link', 'show', 'dev', tap2.tap]);
        expect(tapLink.stdout).toContain('master br-two');
        expect((await nsRun(vpc2.netns, 'iptables-save', ['-t', 'nat'])).stdout).toContain('KUMO');
        const dnsmasq = await readPidFile(dnsmasqPaths(subnet2.runDir).pidFile);
        expect(dnsmasq !== undefined && (await alive(dnsmasq))).toBe(true);
      } finally {
        // Whatever happened, the later tests see only the first VPC.
        await host.removeVpc(vpc2).catch(() => undefined);
      }
    });

    it('applies NAT and anti-spoofing once, and keeps the uplink addresses equal to the public IPs', async () => {
      const save = (await nsRun(vpc.netns, 'iptables-save', [])).stdout;
      const count = (s: string) => save.split('\n').filter((l) => l === s).length;
      expect(count('-A PREROUTING -m comment --comment kumo -j KUMO-PREROUTING')).toBe(1);
      expect(count('-A FORWARD -m comment --comment kumo -j KUMO-ANTISPOOF')).toBe(1);
      expect(count('-A INPUT -m comment --comment kumo -j KUMO-ANTISPOOF')).toBe(1);
      expect(save).toContain(
        '-A KUMO-PREROUTING -d 100.80.0.10/32 -m comment --comment kumo -j DNAT --to-destination 172.31.0.4',
      );
      expect(save).toContain(
        '-A KUMO-POSTROUTING -s 172.31.0.4/32 -o uplink -m comment --comment kumo -j SNAT --to-source 100.80.0.10',
      );
      expect(save).toMatch(
        /-A KUMO-ANTISPOOF -s 172\.31\.0\.4\/32 -m physdev --physdev-in tapf\w+ .*-j RETURN/,
      );
      for (const line of save.split('\n').filter((l) => l.startsWith('-A '))) {
        expect(line).toContain('--comment kumo');
      }
      const uplink = async () =>
        (await nsRun(vpc.netns, 'ip', ['-br', 'addr', 'show', 'dev', 'uplink'])).stdout;
      expect(await uplink()).toMatch(/100\.80\.0\.2\/24 .*100\.80\.0\.10\/32/);
      // A stale public IP goes, a new one comes, the router address stays.
      await host.applyVpcRules({
        ...rules,
        publicIps: [{ publicIp: '100.80.0.11', privateIp: port.ip }],
      });
      expect(await uplink()).toContain('100.80.0.11/32');
      expect(await uplink()).not.toContain('100.80.0.10/32');
      expect(await uplink()).toContain('100.80.0.2/24');
      await host.applyVpcRules(rules);
      expect(await uplink()).not.toContain('100.80.0.11/32');
    });

    it('serves the reservation over DHCP to the instance MAC', async () => {
      const r = await nsRun(inst, 'busybox', [
        'udhcpc',
        '-i',
        'eth0',
        '-f',
        '-q',
        '-n',
        '-t',
        '5',
        '-T',
        '1',
        '-s',
        '/bin/true',
      ]);
      expect(`${r.stdout}${r.stderr}`).toContain('lease of 172.31.0.4 obtained');
      await execa('ip', ['-n', inst, 'addr', 'add', '172.31.0.4/20', 'dev', 'eth0']);
      await execa('ip', ['-n', inst, 'route', 'add', 'default', 'via', '172.31.0.1']);
    });

    it('routes between the host namespace and the instance: router, DNAT in, SNAT out', async () => {
      expect((await nsRun(outer, 'busybox', ['ping', '-c1', '-W2', '100.80.0.2'])).exitCode).toBe(
        0,
      );
      expect((await nsRun(outer, 'busybox', ['ping', '-c1', '-W2', '100.80.0.10'])).exitCode).toBe(
        0,
      );
      helpers.push(
        nsSpawn(inst, 'socat', ['TCP-LISTEN:7000,reuseaddr,fork', 'SYSTEM:echo instance-says-hi']),
      );
      helpers.push(
        nsSpawn(outer, 'socat', ['TCP-LISTEN:7001,reuseaddr,fork', 'SYSTEM:echo $SOCAT_PEERADDR']),
      );
      await new Promise((r) => setTimeout(r, 500));
      const inbound = await nsRun(outer, 'socat', ['-T5', '-', 'TCP:100.80.0.10:7000']);
      expect(inbound.stdout.trim()).toBe('instance-says-hi');
      const outbound = await nsRun(inst, 'socat', ['-T5', '-', 'TCP:100.80.0.1:7001']);
      expect(outbound.stdout.trim()).toBe('100.80.0.10');
    });

    it('proxies metadata with the PROXY header, drops spoofed sources, answers 503 without kumod', async () => {
      stub = await startMetadataStub(vpc.metadataSocket);
      const curl = (args: string[]) =>
        nsRun(inst, 'curl', ['-s', '-m', '3', ...args, 'http://169.254.169.254/latest/meta-data/']);
      const ok = await curl([]);
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^PROXY TCP4 172\.31\.0\.4 169\.254\.169\.254 \d+ 80$/);
      await execa('ip', ['-n', inst, 'addr', 'add', '172.31.0.99/20', 'dev', 'eth0']);
      const drops = async () => {
        const r = await nsRun(vpc.netns, 'iptables', ['-L', 'KUMO-ANTISPOOF', '-v', '-n', '-x']);
        const line = r.stdout
          .split('\n')
          .find((l) => /DROP .*PHYSDEV match --physdev-is-in/.test(l));
        return Number(line?.trim().split(/\s+/)[0]);
      };
      const dropsBefore = await drops();
      const spoofed = await curl(['--interface', '172.31.0.99']);
      expect(spoofed.exitCode).not.toBe(0);
      // Dropped by the anti-spoofing rule itself, not lost somewhere else.
      expect(await drops()).toBeGreaterThan(dropsBefore);
      await new Promise<void>((r) => stub!.close(() => r()));
      stub = undefined;
      const down = await curl(['-o', '/dev/null', '-w', '%{http_code}']);
      expect(down.stdout).toBe('503');
    });

    it('lets a port ARP only as itself and drops its IPv6 (ebtables)', async () => {
      // Runs after the metadata test, so eth0 also holds 172.31.0.99 (not this port's address).
      const counter = async (rule: RegExp) => {
        const r = await nsRun(vpc.netns, 'ebtables', ['-L', 'KUMO-PORTS', '--Lc']);
        const line = r.stdout.split('\n').find((l) => rule.test(l));
        return Number(/pcnt = (\d+)/.exec(line ?? '')?.[1]);
      };
      const arpDrops = () => counter(/^-p ARP -j DROP/);
      const arping = (source: string) =>
        nsRun(inst, 'busybox', [
          'arping',
          '-c',
          '1',
          '-w',
          '2',
          '-I',
          'eth0',
          '-s',
          source,
          '172.31.0.1',
        ]);
      expect((await arping('172.31.0.4')).exitCode).toBe(0);
      const before = await arpDrops();
      expect((await arping('172.31.0.99')).exitCode).not.toBe(0);
      expect(await arpDrops()).toBeGreaterThan(before);
      // The router learned nothing from the spoofed sender.
      const neigh = await nsRun(vpc.netns, 'ip', ['neigh', 'show', '172.31.0.99']);
      expect(neigh.stdout.trim()).toBe('');
      const v6Before = await counter(/^-p IPv6 -j DROP/);
      await nsRun(inst, 'busybox', ['ping', '-6', '-c', '1', '-W', '1', '-I', 'eth0', 'ff02::1']);
      expect(await counter(/^-p IPv6 -j DROP/)).toBeGreaterThan(v6Before);
    });

    it('reloads reservations with SIGHUP, without restarting dnsmasq', async () => {
      const before = await pids();
      const more = [
        ...subnet.reservations,
        { mac: '52:54:00:00:00:05', ip: '172.31.0.5', hostname: 'ip-172-31-0-5' },
      ];
      await host.ensureSubnet({ ...subnet, reservations: more });
      expect(await pids()).toEqual(before);
      expect(readFileSync(dnsmasqPaths(subnet.runDir).hostsFile, 'utf8')).toContain('172.31.0.5');
      await new Promise((r) => setTimeout(r, 300));
      const log = readFileSync(dnsmasqPaths(subnet.runDir).logFile, 'utf8');
      expect(log.match(/read .*dhcp-hosts/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
      expect(log).not.toMatch(/cannot read/);
    });

    it('adds a reservation to the dnsmasq it started with a SIGHUP alone; a new adapter measures', async () => {
      await host.ensureSubnet(subnet);
      const before = await pids();
      const { loadedFile, hostsFile } = dnsmasqPaths(subnet.runDir);
      // A record the full measure cannot trust: it would restart dnsmasq.
      writeFileSync(loadedFile, '{}');
      const extra = { mac: '52:54:00:00:00:06', ip: '172.31.0.6', hostname: 'ip-172-31-0-6' };
      const more = { ...subnet, reservations: [...subnet.reservations, extra] };
      await host.ensureSubnet(more);
      expect(await pids()).toEqual(before);
      expect(readFileSync(hostsFile, 'utf8')).toContain('172.31.0.6');
      expect(JSON.parse(readFileSync(loadedFile, 'utf8'))).toHaveProperty('hosts');
      // Without this process's memory (kumod restarted), the same scrambled record is measured.
      writeFileSync(loadedFile, '{}');
      const again = new LinuxNetworkHost(runner, {
        metadataProxyCommand: proxyCommand,
        logger,
        hostNetns: outer,
      });
      await again.ensureSubnet(more);
      const after = await pids();
      expect(after.dnsmasq).not.toBe(before.dnsmasq);
      expect(await alive(after.dnsmasq!)).toBe(true);
    });

    it('hands a reused address to its new MAC: the old lease is dropped with a restart', async () => {
      const before = await pids();
      const newMac = '52:54:00:00:00:44';
      const reused: SubnetHostSpec = {
        ...subnet,
        reservations: [{ mac: newMac, ip: port.ip, hostname: 'ip-172-31-0-4' }],
      };
      await host.ensureSubnet(reused);
      expect((await pids()).dnsmasq).not.toBe(before.dnsmasq);
      const leases = readFileSync(dnsmasqPaths(subnet.runDir).leaseFile, 'utf8');
      expect(leases).not.toContain(port.mac);
      await host.applyVpcRules({ ...rules, ports: [{ ...port, mac: newMac }] });
      await execa('ip', ['-n', inst, 'link', 'set', 'eth0', 'address', newMac]);
      const r = await nsRun(inst, 'busybox', [
        'udhcpc',
        '-i',
        'eth0',
        '-f',
        '-q',
        '-n',
        '-t',
        '5',
        '-T',
        '1',
        '-s',
        '/bin/true',
      ]);
      expect(`${r.stdout}${r.stderr}`).toContain('lease of 172.31.0.4 obtained');
    });

    it('makes a new tap with one command once it knows the links, and measures when one appeared behind it', async () => {
      const fresh: TapSpec = { netns: vpc.netns, bridge: 'br-test', tap: `tq${tag}` };
      const stray: TapSpec = { ...fresh, tap: `tr${tag}` };
      const onBridge = async (name: string) =>
        (await execa('ip', ['-n', vpc.netns, '-o', 'link', 'show', 'dev', name])).stdout;
      commands.length = 0;
      expect(await host.ensureTaps([fresh])).toEqual([fresh.tap]);
      expect(commands).toEqual(['ip -batch -']); // no listing: kumod knows the links
      expect(await onBridge(fresh.tap)).toMatch(/master br-test .*state (UP|DOWN|UNKNOWN)/);
      // A tap made by someone else under the name kumod is about to use: the one-command try
      // fails, kumod measures and puts the existing tap on the bridge instead of failing.
      await execa('ip', ['-n', vpc.netns, 'tuntap', 'add', 'dev', stray.tap, 'mode', 'tap']);
      commands.length = 0;
      expect(await host.ensureTaps([stray])).toEqual([]);
      expect(commands).toEqual(['ip -batch -', 'ip -j -d addr show', 'ip -batch -']);
      expect(await onBridge(stray.tap)).toContain('master br-test');
      expect(warnings).toContain('making taps from what kumod knew failed; measuring the links');
      for (const t of [fresh, stray]) await host.removeTap(t);
    });

    it('applies unchanged routing once, and again when a link it routes through appears or goes', async () => {
      const spec = (late: boolean): PolicyRoutingSpec => ({
        netns: vpc.netns,
        rules: [
          { pref: 10000, to: '172.31.0.0/16', table: 'main' },
          { pref: 10100, iif: 'br-test', table: '10001' },
        ],
        routes: [
          { table: 10001, dst: '0.0.0.0/0', type: 'unicast', gateway: '100.80.0.1', dev: 'uplink' },
          ...(late
            ? [
                {
                  table: 10001,
                  dst: '198.51.100.0/24',
                  type: 'unicast' as const,
                  gateway: '172.31.16.9',
                  dev: 'br-late',
                },
              ]
            : []),
        ],
      });
      const measures = async (s: PolicyRoutingSpec): Promise<number> => {
        commands.length = 0;
        await host.applyVpcRouting(s);
        return commands.filter((c) => c.startsWith('ip -4 -j rule show')).length;
      };
      const table = async () =>
        (
          await execa('ip', ['-n', vpc.netns, '-4', 'route', 'show', 'table', '10001'], {
            reject: false,
          })
        ).stdout;
      expect(await measures(spec(false))).toBe(1);
      expect(await measures(spec(false))).toBe(0); // known: nothing to run
      expect(await table()).toContain('default via 100.80.0.1 dev uplink');
      // Through a bridge that is not there yet: a blackhole, measured again every time...
      expect(await measures(spec(true))).toBe(1);
      expect(await table()).toContain('blackhole 198.51.100.0/24');
      expect(await measures(spec(true))).toBe(1);
      // ...until the subnet's bridge is made: then the real route goes in, and is known.
      const late: SubnetHostSpec = {
        ...subnet,
        subnetId: 'subnet-0123456789abcdef1',
        bridge: 'br-late',
        gatewayAddress: '172.31.16.1/20',
        cidr: '172.31.16.0/20',
        reservations: [],
        runDir: join(dir, 'run', 'subnet-late'),
      };
      await host.ensureSubnet(late);
      expect(await measures(spec(true))).toBe(1);
      expect(await table()).toContain('198.51.100.0/24 via 172.31.16.9 dev br-late');
      expect(await measures(spec(true))).toBe(0);
      // A removed bridge is no longer known: the next apply measures (and blackholes) again.
      await host.removeSubnet(late);
      expect(await measures(spec(true))).toBe(1);
      expect(await table()).toContain('blackhole 198.51.100.0/24');
      await host.applyVpcRouting({ netns: vpc.netns, rules: [], routes: [] });
      expect(await table()).toBe('');
    });

    it('removes taps, subnets and the VPC, and a second removal is a no-op', async () => {
      const { proxy, dnsmasq } = await pids();
      for (let i = 0; i < 2; i++) {
        await host.removeTap(tap);
        await host.removeSubnet(subnet);
        await host.removeVpc(vpc);
      }
      expect(await alive(proxy!)).toBe(false);
      expect(await alive(dnsmasq!)).toBe(false);
      const list = (await execa('ip', ['netns', 'list'])).stdout;
      expect(list).not.toContain(vpc.netns);
      const hostIf = await nsRun(outer, 'ip', ['link', 'show', 'dev', vpc.uplinkHostIf]);
      expect(hostIf.exitCode).not.toBe(0);
      // The public bridge is kumod's and stays.
      expect((await nsRun(outer, 'ip', ['link', 'show', 'dev', 'kumo-pub'])).exitCode).toBe(0);
    });
  },
  ['root', 'netns'],
);
