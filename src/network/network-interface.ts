/**
 * An instance's network interface, EC2's ENI: its place in a subnet (private address, MAC) and the
 * public address NAT gives it. The network domain owns these records (it allocates them and keeps
 * them until release); compute keeps a copy on the instance, taken at launch.
 */
export interface NetworkInterface {
  /** eni-… */
  readonly id: string;
  readonly instanceId: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly privateIp: string;
  /**
   * The public address the pool gave it for as long as it runs (released at stop, a new one at
   * start: EC2). Undefined while stopped, without one, or while an elastic IP replaces it.
   */
  readonly publicIp?: string | undefined;
  /** The pool address it had before its last stop (a start gives it another one). */
  readonly lastPublicIp?: string | undefined;
  /** Whether it gets a public address from the pool when it runs (undefined: yes, as before). */
  readonly assignPublicIp?: boolean | undefined;
  readonly mac: string;
  /**
   * The security groups on the interface (EC2 keeps them on the ENI), 1 to 5, all of its VPC.
   * Undefined only on records written before security groups existed (read as the default group).
   */
  readonly groupIds?: readonly string[] | undefined;
  /** EC2's SourceDestCheck: false lets the instance send from addresses other than its own. */
  readonly sourceDestCheck?: boolean | undefined;
}
