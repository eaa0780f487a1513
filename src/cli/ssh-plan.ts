import { join } from 'node:path';
import type { Instance } from '../gen/kumo/v1/instances.js';
import { CliFailure } from './errors.js';

/** What the user asked `kumo ssh` for. */
export interface SshRequest {
  /** `-i FILE`. */
  readonly identityFile?: string | undefined;
  /** `-l USER`. */
  readonly user?: string | undefined;
  /** `--private`: connect to the private address even when there is a public one. */
  readonly usePrivate: boolean;
  /** `--ssh-option OPT`, each becoming `-o OPT` (or passed as is when it starts with `-`). */
  readonly sshOptions: readonly string[];
  /** The remote command, after `--`; empty for an interactive session. */
  readonly command: readonly string[];
}

/** The bits of the environment key discovery looks at; injected so planning stays pure. */
export interface SshEnvironment {
  /** `KUMO_SSH_KEY`. */
  readonly keyFromEnv?: string | undefined;
  readonly cwd: string;
  readonly home: string;
  readonly exists: (path: string) => boolean;
}

/** Everything the ssh command line is built from. */
export interface SshTarget {
  readonly instanceId: string;
  readonly address: string;
  readonly user: string;
  readonly identityFile?: string | undefined;
  readonly knownHostsFile: string;
  /**
   * 'yes' once the instance's host keys are pinned in knownHostsFile (from its console);
   * 'accept-new' (trust on first use) for images that do not print their keys.
   */
  readonly hostKeyChecking?: 'yes' | 'accept-new';
  readonly sshOptions: readonly string[];
  readonly command: readonly string[];
}

/** kumo's own known_hosts, so instance host keys never mix with the user's other hosts. */
export function knownHostsFile(home: string): string {
  return join(home, '.config', 'kumo', 'known_hosts');
}

/** `-i`, else KUMO_SSH_KEY, else `<KeyName>.pem` in ./, ~/.ssh/, ~/.config/kumo/keys/. */
export function findIdentityFile(
  keyName: string,
  explicit: string | undefined,
  env: SshEnvironment,
): string | undefined {
  if (explicit) return explicit;
  if (env.keyFromEnv) return env.keyFromEnv;
  if (!keyName) return undefined;
  const file = `${keyName}.pem`;
  return [
    join(env.cwd, file),
    join(env.home, '.ssh', file),
    join(env.home, '.config', 'kumo', 'keys', file),
  ].find(env.exists);
}

function notRunning(id: string, state: string): CliFailure {
  const hint =
    state === 'pending'
      ? `; wait for it with: kumo wait instance-running --instance-ids ${id}`
      : state === 'stopped' || state === 'stopping'
        ? `; start it with: kumo start-instances --instance-ids ${id}`
        : '';
  return new CliFailure(`Instance ${id} is ${state}, not running${hint}`);
}

/**
 * Decides where and how to connect: the instance must be running; the public address unless
 * --private (or there is none); the image's login user unless -l; the key per findIdentityFile.
 */
export function planSsh(instance: Instance, request: SshRequest, env: SshEnvironment): SshTarget {
  const id = instance.instanceId;
  const state = instance.state?.name ?? 'unknown';
  if (state !== 'running') throw notRunning(id, state);
  const address =
    request.usePrivate || !instance.publicIpAddress
      ? instance.privateIpAddress
      : instance.publicIpAddress;
  if (!address) throw new CliFailure(`Instance ${id} has no IP address yet`);
  return {
    instanceId: id,
    address,
    user: request.user || instance.defaultUser || 'root',
    identityFile: findIdentityFile(instance.keyName, request.identityFile, env),
    knownHostsFile: knownHostsFile(env.home),
    sshOptions: request.sshOptions,
    command: request.command,
  };
}

/**
 * The argv for the system `ssh` (without "ssh" itself). Host keys are remembered under the
 * instance id (HostKeyAlias), not the IP: IPs are reused by other instances, ids never are.
 * The user's --ssh-option values come first because ssh keeps the first value of each option.
 * A remote command gets BatchMode and a connect timeout, so scripts fail instead of hanging.
 */
export function buildSshArgv(t: SshTarget): string[] {
  const userOptions = t.sshOptions.flatMap((o) => (o.startsWith('-') ? [o] : ['-o', o]));
  return [
    ...userOptions,
    ...(t.identityFile ? ['-i', t.identityFile] : []),
    '-o',
    `HostKeyAlias=${t.instanceId}`,
    '-o',
    `UserKnownHostsFile=${t.knownHostsFile}`,
    '-o',
    `StrictHostKeyChecking=${t.hostKeyChecking ?? 'accept-new'}`,
    ...(t.command.length > 0 ? ['-o', 'ConnectTimeout=10', '-o', 'BatchMode=yes'] : []),
    // `--` ends ssh's options, so nothing in the remote command is read as one.
    '--',
    `${t.user}@${t.address}`,
    ...t.command,
  ];
}
