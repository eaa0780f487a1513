import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExecaCommandRunner,
  HostCommandError,
  type CommandRunner,
} from '../../src/host/command-runner.js';
import { localDetachedStarter } from '../../src/host/detached-start.js';
import { SpawnerCommandRunner } from '../../src/host/spawner/spawner-runner.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * The spawner against real processes (no root, no guests): the CommandRunner contract that
 * kumod's host adapters rely on, and what happens when the spawner itself dies.
 */
const SPAWNER = resolve(import.meta.dirname, '../../dist/host/spawner/spawner-main.js');

/** The session id of a process (field 6 of /proc/PID/stat). */
const sessionOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
};

/** Waits (at most 10 s) until `ok` holds. */
async function eventually(ok: () => boolean): Promise<void> {
  for (const until = Date.now() + 10_000; !ok();) {
    if (Date.now() > until) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both runners keep one contract; kumod uses the spawner, tools and some tests execa. */
const RUNNERS: Record<string, () => CommandRunner & { close?: () => void }> = {
  spawner: () => new SpawnerCommandRunner([process.execPath, SPAWNER]),
  execa: () => new ExecaCommandRunner(),
};

integrationSuite(
  'SpawnerCommandRunner',
  () => {
    const opened: SpawnerCommandRunner[] = [];
    const open = (): SpawnerCommandRunner => {
      const runner = new SpawnerCommandRunner([process.execPath, SPAWNER]);
      opened.push(runner);
      return runner;
    };
    afterEach(() => opened.splice(0).forEach((r) => r.close()));

    describe.each(Object.keys(RUNNERS))('the CommandRunner contract (%s)', (name) => {
      const make = RUNNERS[name] as () => CommandRunner & { close?: () => void };
      it('passes arguments without a shell and reports failures with their context', async () => {
        const r = make();
        try {
          expect((await r.run('printf', ['%s|', 'a b', '$HOME', ';'])).stdout).toBe('a b|$HOME|;|');
          const e = await r.run('sh', ['-c', 'echo bad >&2; exit 4']).catch((x: unknown) => x);
          expect(e).toMatchObject({ exitCode: 4, stderr: 'bad' });
          const t = await r.run('sleep', ['30'], { timeoutMs: 200 }).catch((x: unknown) => x);
          expect((t as Error).message).toContain('timed out');
        } finally {
          r.close?.();
        }
      });
    });

    it('runs a command without a shell, with LC_ALL=C, and returns its output', async () => {
      const runner = open();
      const r = await runner.run('sh', ['-c', 'echo "$LC_ALL" "$0"', 'a;b']);
      expect(r).toEqual({ stdout: 'C a;b', stderr: '', exitCode: 0 });
    });

    it('feeds standard input and answers many commands at once, each with its own output', async () => {
      const runner = open();
      const outs = await Promise.all(
        Array.from({ length: 20 }, (_, k) => runner.run('cat', [], { input: `line ${k}\n` })),
      );
      expect(outs.map((o) => o.stdout)).toEqual(Array.from({ length: 20 }, (_, k) => `line ${k}`));
    });

    it('fails with the command, its exit code and stderr; allowed exit codes pass', async () => {
      const runner = open();
      const e = await runner.run('sh', ['-c', 'echo nope >&2; exit 3']).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HostCommandError);
      expect(e).toMatchObject({ command: 'sh', exitCode: 3, stderr: 'nope' });
      expect((await runner.run('sh', ['-c', 'exit 1'], { okExitCodes: [1] })).exitCode).toBe(1);
    });

    it('kills a command at its deadline and says so', async () => {
      const runner = open();
      const t0 = performance.now();
      const e = await runner.run('sleep', ['30'], { timeoutMs: 200 }).catch((x: unknown) => x);
      expect((e as Error).message).toContain('timed out');
      expect(performance.now() - t0).toBeLessThan(10_000);
    });

    it('reports a program that does not exist', async () => {
      const runner = open();
      const e = await runner.run('no-such-program-kumo', []).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HostCommandError);
      expect((e as Error).message).toMatch(/ENOENT/);
    });

    it('fails what was in flight when the spawner dies, and starts a new one for the next command', async () => {
      const runner = open();
      const inFlight = runner.run('sleep', ['30']);
      await new Promise((r) => setTimeout(r, 200));
      const spawnerPid = (runner as unknown as { child: { pid: number } }).child.pid;
      process.kill(spawnerPid, 'SIGKILL');
      await expect(inFlight).rejects.toThrow(/spawner exited/);
      expect((await runner.run('echo', ['again'])).stdout).toBe('again');
    });

    describe.each([
      ['spawner', () => open()],
      ['local', () => localDetachedStarter],
    ] as const)('detached starts (%s)', (_name, make) => {
      it('starts a process in its own session with its output on the log, and reports its exit', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'kumo-detached-'));
        try {
          const log = join(dir, 'out.log');
          writeFileSync(log, 'before\n');
          const p = await make().startDetached(
            'sh',
            ['-c', 'echo "$LC_ALL"; echo err >&2; exit 3'],
            {
              logFile: log,
            },
          );
          expect(p.pid).toBeGreaterThan(1);
          await eventually(() => p.exited() !== undefined);
          expect(p.exited()).toBe('exit code 3');
          // Appended, stdout and stderr alike.
          expect(readFileSync(log, 'utf8')).toBe('before\nC\nerr\n');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('leaves the process running when the spawner goes away', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'kumo-detached-'));
        const starter = make();
        let pid = 0;
        try {
          const p = await starter.startDetached('sleep', ['30'], { logFile: join(dir, 'log') });
          pid = p.pid;
          // Its own session: a signal to kumod's process group or terminal does not reach it.
          expect(sessionOf(pid)).toBe(pid);
          if (starter instanceof SpawnerCommandRunner) starter.close();
          await new Promise((r) => setTimeout(r, 300));
          expect(p.exited()).toBeUndefined();
          expect(sessionOf(pid)).toBe(pid);
        } finally {
          if (pid > 0) process.kill(pid, 'SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });

    it('rejects a detached start of a program that does not exist', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kumo-detached-'));
      try {
        const e = await open()
          .startDetached('no-such-program-kumo', [], { logFile: join(dir, 'log') })
          .catch((x: unknown) => x);
        expect(e).toBeInstanceOf(HostCommandError);
        expect((e as Error).message).toMatch(/ENOENT/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
  [],
);
