import { mkdir, rm } from 'node:fs/promises';
import type { Logger } from '../../core/logger.js';
import type { VpcHostSpec } from './specs.js';
import type { CommandRunner } from '../command-runner.js';
import { isSameProcessAlive, processStartTime, sleep } from '../proc.js';
import {
  findHelper,
  netnsPids,
  processArgv,
  readPidFile,
  stopProcess,
} from './detached-process.js';
import { tailFile } from '../files.js';
import { localDetachedStarter } from '../detached-start.js';

/** The address guests ask for metadata; it lives on lo inside each VPC namespace. */
export const METADATA_ADDRESS = '169.254.169.254';

/** Files of a VPC's metadata proxy in the VPC's runDir. */
export const proxyPaths = (runDir: string) => ({
  pidFile: `${runDir}/metadata-proxy.pid`,
  logFile: `${runDir}/metadata-proxy.log`,
});

/** The exact argv of the proxy for this VPC (compared with /proc to tell a current proxy). */
export function proxyArgv(command: readonly string[], spec: VpcHostSpec): string[] {
  return [
    ...command,
    '--listen',
    `${METADATA_ADDRESS}:80`,
    '--socket',
    spec.metadataSocket,
    '--pid-file',
    proxyPaths(spec.runDir).pidFile,
  ];
}

/** A proxy process, told from a later one with the same pid by its start time. */
export interface RunningProxy {
  readonly pid: number;
  readonly startTime: number;
}

/** A proxy this process found or started, with what it was started for. */
interface KnownProxy extends RunningProxy {
  readonly netns: string;
  /** Its argv, NUL-joined. */
  readonly argv: string;
}

/**
 * Each VPC's metadata proxy, one per run directory. The first ensure in a process measures (pid
 * file, /proc argv and namespace); later ones, on every launch, trust what this process found or
 * started while its pid file still names it and that very process is alive. Anything else
 * measures again.
 */
export class MetadataProxies {
  private readonly known = new Map<string, KnownProxy>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly command: readonly string[],
    private readonly logger: Logger,
  ) {}

  async ensure(spec: VpcHostSpec): Promise<void> {
    // The argv holds the socket and pid file; the namespace is where the proxy must live.
    const argv = proxyArgv(this.command, spec).join('\0');
    const known = this.known.get(spec.runDir);
    this.known.delete(spec.runDir);
    if (
      known?.netns === spec.netns &&
      known.argv === argv &&
      (await readPidFile(proxyPaths(spec.runDir).pidFile)) === known.pid &&
      (await isSameProcessAlive(known.pid, known.startTime))
    ) {
      this.known.set(spec.runDir, known);
      return;
    }
    const running = await ensureMetadataProxy(this.runner, this.command, spec, this.logger);
    this.known.set(spec.runDir, { ...running, netns: spec.netns, argv });
  }

  async stop(spec: VpcHostSpec, netns: string | undefined): Promise<void> {
    this.known.delete(spec.runDir);
    await stopMetadataProxy(spec, netns, this.logger);
  }

  /** Drops what is known about the namespace's proxy (a step there failed, or it went). */
  forget(netns: string): void {
    for (const [runDir, k] of this.known) if (k.netns === netns) this.known.delete(runDir);
  }
}

/**
 * Makes the VPC's metadata proxy run: a live proxy with the same argv is left alone (it survived
 * a kumod restart); one with other arguments (a moved socket, a new program path) is replaced.
 * Waits until the proxy has bound its port, so a failure (e.g. port taken) surfaces here.
 */
export async function ensureMetadataProxy(
  runner: CommandRunner,
  command: readonly string[],
  spec: VpcHostSpec,
  logger: Logger,
): Promise<RunningProxy> {
  const { pidFile, logFile } = proxyPaths(spec.runDir);
  const argv = proxyArgv(command, spec);
  const found = await findHelper(pidFile, '--socket', spec.netns);
  if (found && found.argv.join('\0') === argv.join('\0')) {
    return { pid: found.pid, startTime: found.startTime };
  }
  if (found) {
    logger.info('replacing metadata proxy with different arguments', { vpcId: spec.vpcId });
    await stopProcess(found.pid);
  } else {
    await stopStrayProxies(runner, spec, logger);
  }
  await mkdir(spec.runDir, { recursive: true, mode: 0o755 });
  await rm(pidFile, { force: true });
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty metadata proxy command');
  const child = await localDetachedStarter.startDetached(cmd, args, {
    logFile,
    netns: spec.netns,
  });
  for (const deadline = Date.now() + 10_000; ; await sleep(25)) {
    if ((await readPidFile(pidFile)) === child.pid) break;
    const exited = child.exited();
    if (exited !== undefined || Date.now() > deadline) {
      if (exited === undefined) await stopProcess(child.pid);
      throw new Error(
        `metadata proxy for ${spec.vpcId} did not start (${exited ?? 'not listening after 10 s'}): ${await tailFile(logFile)}`,
      );
    }
  }
  const startTime = await processStartTime(child.pid);
  if (startTime === undefined) {
    throw new Error(
      `metadata proxy for ${spec.vpcId} exited after it started: ${await tailFile(logFile)}`,
    );
  }
  logger.info('metadata proxy started', { vpcId: spec.vpcId, netns: spec.netns, pid: child.pid });
  return { pid: child.pid, startTime };
}

/** Stops the VPC's metadata proxy if it runs; `netns` undefined when the namespace is gone. */
export async function stopMetadataProxy(
  spec: VpcHostSpec,
  netns: string | undefined,
  logger: Logger,
): Promise<void> {
  const { pidFile, logFile } = proxyPaths(spec.runDir);
  // Without the namespace to check against, insist on this VPC's own socket path in the argv.
  const found = await findHelper(pidFile, netns ? '--socket' : spec.metadataSocket, netns);
  if (found) {
    await stopProcess(found.pid);
    logger.info('metadata proxy stopped', { vpcId: spec.vpcId, pid: found.pid });
  }
  await rm(pidFile, { force: true });
  await rm(logFile, { force: true });
}

/**
 * A proxy whose pid file was lost still holds port 80 and would make every new one fail to bind.
 * The namespace is kumo's, so a process there with the proxy's listen arguments is a stray proxy.
 */
async function stopStrayProxies(
  runner: CommandRunner,
  spec: VpcHostSpec,
  logger: Logger,
): Promise<void> {
  for (const pid of await netnsPids(runner, spec.netns)) {
    const argv = await processArgv(pid);
    const i = argv?.indexOf('--listen') ?? -1;
    if (i < 0 || argv?.[i + 1] !== `${METADATA_ADDRESS}:80`) continue;
    logger.warn('stopping a metadata proxy without pid file', { vpcId: spec.vpcId, pid });
    await stopProcess(pid);
  }
}
