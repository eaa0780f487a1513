import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { HELP_FLAGS, route } from './argv-routing.js';
import { enableCliInput, relaxRequiredOptions, SKELETON_PRINTED } from './cli-input.js';
import { DEFAULT_ENDPOINT } from './client.js';
import { registerHostCommands } from './commands/host.js';
import { registerImageCommands } from './commands/images.js';
import { registerImageLifecycleCommands } from './commands/register-image.js';
import { registerImageCopyCommands } from './commands/create-image.js';
import { registerLifecycleCommands } from './commands/instance-lifecycle.js';
import { registerInstanceStatusCommands } from './commands/instance-status.js';
import { registerInstanceTypeCommands } from './commands/instance-types.js';
import { registerInstanceCommands } from './commands/instances.js';
import { registerInstanceMetadataCommands } from './commands/instance-metadata-options.js';
import { registerKeyPairCommands } from './commands/key-pairs.js';
import { registerSecurityGroupCommands } from './commands/security-groups.js';
import { registerRoutingCommands } from './commands/routing.js';
import { registerTagCommands } from './commands/tags.js';
import { registerSshCommand } from './commands/ssh.js';
import { registerVolumeCommands } from './commands/volumes.js';
import { registerSnapshotCommands } from './commands/snapshots.js';
import { registerWaitCommands } from './commands/wait.js';
import { registerVpcFamilyCommands } from './commands/vpcs.js';
import { CliContext, type CliIo } from './context.js';
import { describeFailure, EXIT, oneLine } from './errors.js';
import { OUTPUT_FORMATS } from './output.js';

/** The package version (dist/cli and src/cli are both two levels below package.json). */
function version(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The real process' streams and environment. */
export function processIo(): CliIo {
  // `kumo ... | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  };
}

/** The commander program with every subcommand; global options are accepted anywhere. */
export function buildProgram(ctx: CliContext, io: CliIo): Command {
  const program = new Command('kumo')
    .description('Command-line client for kumod, shaped like `aws ec2`')
    .version(version(), '--version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // main() prints commander's errors itself, on one line with a hint.
      outputError: () => undefined,
    })
    .showHelpAfterError(false)
    // Subcommand help lists --output, --query and friends too: they work after the subcommand.
    .configureHelp({ showGlobalOptions: true })
    .option(
      '--endpoint <url>',
      'kumod gRPC endpoint (env KUMO_ENDPOINT)',
      io.env.KUMO_ENDPOINT || DEFAULT_ENDPOINT,
    )
    .addOption(
      new Option('--output <format>', 'output format (env KUMO_DEFAULT_OUTPUT)')
        .choices(OUTPUT_FORMATS)
        .default(io.env.KUMO_DEFAULT_OUTPUT || 'json'),
    )
    .option('--query <jmespath>', 'JMESPath expression applied to the response, as in aws-cli')
    .option('--debug', 'print stack traces on errors')
    .option('--no-paginate', 'describe commands make one call and print that page, as in aws-cli')
    // aws users type this out of habit; kumo never runs a pager.
    .addOption(new Option('--no-cli-pager').hideHelp());
  registerInstanceCommands(program, ctx);
  registerLifecycleCommands(program, ctx);
  registerInstanceMetadataCommands(program, ctx);
  registerInstanceStatusCommands(program, ctx);
  registerInstanceTypeCommands(program, ctx);
  registerImageCommands(program, ctx);
  registerImageLifecycleCommands(program, ctx);
  registerImageCopyCommands(program, ctx);
  registerKeyPairCommands(program, ctx);
  registerSecurityGroupCommands(program, ctx);
  registerRoutingCommands(program, ctx);
  registerTagCommands(program, ctx);
  registerVolumeCommands(program, ctx);
  registerSnapshotCommands(program, ctx);
  registerVpcFamilyCommands(program, ctx);
  registerHostCommands(program, ctx);
  registerWaitCommands(program, ctx);
  registerSshCommand(program, ctx);
  enableCliInput(program, ctx);
  return program;
}

/**
 * The arguments as commander should see them, for two aws-cli habits: `help` as a word
 * (`kumo describe-instances help`, `kumo help wait`) asks for that command's help, and an
 * unknown command stays an error even with --help (commander would show the parent's help).
 */
function awsStyleArgs(program: Command, args: readonly string[]): readonly string[] {
  let where = route(program, args);
  if (where.next === 'help') {
    args = [...where.path, ...(where.path.length === 0 ? where.rest : []), '--help'];
    where = route(program, args);
  }
  if (where.next !== undefined && where.command.commands.length > 0)
    return args.filter((a) => !HELP_FLAGS.includes(a));
  return args;
}

/**
 * Runs the CLI on `argv` (process.argv: node, script, args...) and returns the exit code:
 * 0, 252 bad usage, 254 service error, 255 kumod unreachable or another failure.
 * Every failure is one line on stderr; --debug adds the stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  // Global options are read when a command runs, after the program parsed them.
  const ctx = new CliContext(io, () => program.opts());
  const program = buildProgram(ctx, io);
  const args = awsStyleArgs(program, argv.slice(2));
  try {
    relaxRequiredOptions(program, args);
    await program.parseAsync([argv[0] ?? 'node', argv[1] ?? 'kumo', ...args], { from: 'node' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help, version or a skeleton was asked for (exit 0), or `kumo` / `kumo wait` alone got
      // the help on stderr (exit 1 from commander, a usage error for us). All already printed.
      const printed = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
      if ([...printed, SKELETON_PRINTED].includes(error.code))
        return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      const message = oneLine(error.message.replace(/^error:\s*/, ''));
      io.stderr(
        `kumo: error: ${message} (see: ${['kumo', ...route(program, args).path].join(' ')} --help)\n`,
      );
      return EXIT.usage;
    }
    const endpoint = String(program.opts().endpoint ?? DEFAULT_ENDPOINT);
    const report = describeFailure(error, endpoint);
    io.stderr(`${report.line}\n`);
    if (args.includes('--debug') && error instanceof Error) io.stderr(`${error.stack ?? ''}\n`);
    return report.exitCode;
  } finally {
    ctx.close();
  }
}
