import type { CommandRunner, RunOptions, RunResult } from '../../../../src/host/command-runner.js';

/** One command as a recording runner saw it. */
export interface RecordedCommand {
  readonly line: string;
  readonly netns: string | undefined;
  readonly input: string | undefined;
}

/**
 * A CommandRunner fake: records every command as one line ("ip -batch -") and answers it with
 * `answer`, which may throw to play a failing command. Unanswered commands print nothing.
 */
export class RecordingRunner implements CommandRunner {
  readonly commands: RecordedCommand[] = [];

  constructor(
    private readonly answer: (line: string, input: string | undefined) => string | void = () => {},
  ) {}

  run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const line = [command, ...args].join(' ');
    this.commands.push({ line, netns: options.netns, input: options.input });
    try {
      const stdout = this.answer(line, options.input) ?? '';
      return Promise.resolve({ stdout, stderr: '', exitCode: 0 });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** The command lines so far, and forgets them. */
  take(): string[] {
    return this.commands.splice(0).map((c) => c.line);
  }
}

/** `ip -j -d addr show` output for links of these names (taps when the name starts with "tap"). */
export function ipLinksJson(
  links: readonly { readonly name: string; readonly master?: string; readonly up?: boolean }[],
): string {
  return JSON.stringify(
    links.map((l, n) => ({
      ifindex: n + 1,
      ifname: l.name,
      flags: l.up === false ? ['BROADCAST'] : ['BROADCAST', 'UP'],
      ...(l.master ? { master: l.master } : {}),
      ...(l.name.startsWith('tap')
        ? { linkinfo: { info_kind: 'tun', info_data: { type: 'tap' } } }
        : {}),
      addr_info: [],
    })),
  );
}
