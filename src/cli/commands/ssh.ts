import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { DescribeInstancesRequest, GetConsoleOutputRequest } from '../../gen/kumo/v1/instances.js';
import type { CliContext } from '../context.js';
import { CliFailure } from '../errors.js';
import { hasHostEntry, hostKeysFromConsole, knownHostsLines } from '../host-keys.js';
import { buildSshArgv, planSsh, type SshRequest } from '../ssh-plan.js';

/**
 * Makes sure kumo's known_hosts holds the instance's host keys, taken from its console when they
 * are not there yet. True when ssh can verify the host strictly; false for images whose console
 * shows no keys (then ssh trusts the first key it sees, as plain ssh would).
 */
async function pinHostKeys(ctx: CliContext, instanceId: string, file: string): Promise<boolean> {
  const known = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (hasHostEntry(known, instanceId)) return true;
  const c = ctx.clients.instances;
  const out = await ctx.call(
    'GetConsoleOutput',
    c.getConsoleOutput.bind(c),
    GetConsoleOutputRequest.fromPartial({ instanceId }),
  );
  const keys = hostKeysFromConsole(out.output);
  if (keys.length === 0) return false;
  appendFileSync(file, knownHostsLines(instanceId, keys), { mode: 0o600 });
  return true;
}

interface SshOptions {
  identityFile?: string;
  user?: string;
  private?: boolean;
  sshOption?: string[];
}

/** Runs the system ssh with the terminal handed over; resolves with ssh's exit code. */
function runSsh(argv: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', argv, { stdio: 'inherit' });
    // Ctrl-C belongs to ssh (and the remote side); kumo just waits for ssh to end.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    const done = () => process.off('SIGINT', ignore);
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(
        e.code === 'ENOENT'
          ? new CliFailure('ssh was not found on PATH; install the OpenSSH client (openssh-client)')
          : e,
      );
    });
    child.on('exit', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 255));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}

/** `kumo ssh INSTANCE_ID [-i KEY] [-l USER] [--private] [--ssh-option OPT] [-- command...]`. */
export function registerSshCommand(program: Command, ctx: CliContext): void {
  program
    .command('ssh')
    .description("SSH into an instance by id, as its image's login user (kumo extension)")
    .argument('<instance-id>', 'instance to connect to')
    .argument('[command...]', 'remote command, after --')
    .option('-i, --identity-file <file>', 'private key (default: KUMO_SSH_KEY, then <KeyName>.pem)')
    .option('-l, --user <user>', "login user (default: the image's, else root)")
    .option('--private', 'connect to the private IP address')
    .option(
      '--ssh-option <option>',
      'extra ssh option, e.g. ServerAliveInterval=30 (repeatable)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .action(async (instanceId: string, command: string[], o: SshOptions) => {
      const c = ctx.clients.instances;
      const res = await ctx.call(
        'DescribeInstances',
        c.describeInstances.bind(c),
        DescribeInstancesRequest.fromPartial({ instanceIds: [instanceId] }),
      );
      const instance = res.reservations.flatMap((r) => r.instances)[0];
      if (instance === undefined) throw new CliFailure(`Instance ${instanceId} was not found`);
      const request: SshRequest = {
        identityFile: o.identityFile,
        user: o.user,
        usePrivate: o.private === true,
        sshOptions: o.sshOption ?? [],
        command,
      };
      const home = homedir();
      const target = planSsh(instance, request, {
        keyFromEnv: ctx.io.env.KUMO_SSH_KEY,
        cwd: process.cwd(),
        home,
        exists: existsSync,
      });
      // ssh cannot record the host key if its known_hosts directory does not exist.
      mkdirSync(dirname(target.knownHostsFile), { recursive: true, mode: 0o700 });
      const pinned = await pinHostKeys(ctx, instanceId, target.knownHostsFile);
      // The gRPC channel is done; don't hold it open for the whole session.
      ctx.close();
      ctx.exitCode = await runSsh(
        buildSshArgv({ ...target, hostKeyChecking: pinned ? 'yes' : 'accept-new' }),
      );
    });
}
