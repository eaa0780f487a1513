import type { Command, Option } from 'commander';

/**
 * Where the arguments lead in the command tree, read before commander parses them, for the
 * aws-cli habits commander does not know: `kumo describe-instances help` (help as a word) and
 * `kumo <unknown> --help` (an error, not the top-level help).
 */
export interface Route {
  /** The deepest command the arguments name (the program itself if none). */
  readonly command: Command;
  /** Its names from the top: `['wait', 'instance-running']`. */
  readonly path: readonly string[];
  /** The first argument after the path that is neither an option nor an option's value. */
  readonly next: string | undefined;
  /** Everything after `next`. */
  readonly rest: readonly string[];
}

function findOption(commands: readonly Command[], flag: string): Option | undefined {
  for (const command of commands) {
    const option = command.options.find((o) => o.long === flag || o.short === flag);
    if (option) return option;
  }
  return undefined;
}

/** Follows `args` down from `program`, skipping options (global ones anywhere) and their values. */
export function route(program: Command, args: readonly string[]): Route {
  const path: string[] = [];
  const onPath: Command[] = [program];
  let command = program;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-') && arg !== '-') {
      const [flag = arg] = arg.split('=', 1);
      const option = findOption(onPath, flag);
      const inlineValue = arg.includes('=');
      const following = args[i + 1];
      if (option?.required && !inlineValue) i += 1;
      else if (
        option?.optional &&
        !inlineValue &&
        following !== undefined &&
        !following.startsWith('-')
      )
        i += 1;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) return { command, path, next: arg, rest: args.slice(i + 1) };
    command = sub;
    path.push(arg);
    onPath.unshift(sub);
  }
  return { command, path, next: undefined, rest: [] };
}

/** The help flags, which commander would answer with the parent's help after an unknown name. */
export const HELP_FLAGS: readonly string[] = ['--help', '-h'];
