import type { ComputeDeps } from '../compute/deps.js';
import type { SshKeyTool } from '../compute/ports.js';
import type { DescribeHostResponse } from '../gen/kumo/v1/host.js';

/** What the gRPC handlers are wired with: the domain's dependencies and a few daemon hooks. */
export interface ApiContext {
  readonly compute: ComputeDeps;
  readonly sshKeys: SshKeyTool;
  /** The host facts kumod found at start-up plus current allocation. */
  describeHost(): Promise<DescribeHostResponse>;
  /** Asks the reconciler to look at these instances now rather than at its next tick. */
  kick(instanceIds: readonly string[]): void;
}
