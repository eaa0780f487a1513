import {
  alreadyExists,
  dryRunOperation,
  incorrectState,
  invalidParameter,
  KumoError,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId, isId, newId } from '../core/ids.js';
import type { Tag } from '../core/tags.js';
import type { RoutingDeps } from './internet-gateways.js';
import type { NetworkInterface } from './network-interface.js';
import type { ElasticAddress } from './routing.js';

export interface AddressDeps extends RoutingDeps {
  /** A free address of the public pool (AddressLimitExceeded when none is left). */
  readonly freePoolAddress: () => string;
  /** The interface gets its pool public IP back if it should have one (after a disassociation). */
  readonly withPublicIp: (eni: NetworkInterface) => NetworkInterface;
  /** Ends tracked flows to this public IP in this VPC (the IP moved away). */
  readonly forgetFlows: (vpcId: string, publicIp: string) => Promise<void>;
  /** The instance's state (compute's), or undefined when there is no such instance. */
  readonly instanceState: (instanceId: string) => string | undefined;
}

export interface AssociateInput {
  readonly allocationId: string;
  readonly instanceId?: string | undefined;
  readonly networkInterfaceId?: string | undefined;
  readonly privateIpAddress?: string | undefined;
  readonly allowReassociation: boolean;
  readonly dryRun: boolean;
}

/**
 * EC2's elastic IPs (domain vpc) from the host's public pool. While associated, an elastic IP
 * replaces the interface's pool public IP (which goes back to the pool) and stays across
 * stop/start; re-association moves it at once: the rules of both VPCs are applied and the flows
 * tracked to it end.
 */
export class AddressService {
  constructor(private readonly d: AddressDeps) {}

  get(allocationId: string): ElasticAddress {
    if (!isId('eipalloc', allocationId)) {
      throw invalidParameter(
        `Invalid id: ${quoted(allocationId)} (expected eipalloc- followed by 17 hex digits)`,
        'InvalidAllocationID.Malformed',
      );
    }
    const a = this.d.routing.addresses.get(allocationId);
    if (!a) {
      throw notFound(
        'InvalidAllocationID.NotFound',
        `The allocation ID ${quoted(allocationId)} does not exist`,
      );
    }
    return a;
  }

  /** By allocation ids and/or public IPs (each must exist), or all. */
  find(allocationIds: readonly string[], publicIps: readonly string[]): ElasticAddress[] {
    if (allocationIds.length === 0 && publicIps.length === 0) {
      return this.d.routing.addresses.list();
    }
    const all = this.d.routing.addresses.list();
    const byIp = publicIps.map((ip) => {
      const a = all.find((x) => x.publicIp === ip);
      if (!a) {
        throw notFound('InvalidAddress.NotFound', `Address ${quoted(ip)} not found.`);
      }
      return a;
    });
    const found = [...allocationIds.map((id) => this.get(id)), ...byIp];
    return [...new Map(found.map((a) => [a.allocationId, a])).values()];
  }

  allocate(domain: string, tags: readonly Tag[], dryRun: boolean): ElasticAddress {
    if (domain && domain !== 'vpc') {
      throw invalidParameter(
        `Domain ${quoted(domain)} is not supported: kumo has VPC addresses only (--domain vpc)`,
      );
    }
    const publicIp = this.d.freePoolAddress();
    if (dryRun) throw dryRunOperation();
    const a: ElasticAddress = { allocationId: newId('eipalloc'), publicIp, tags: [...tags] };
    this.d.routing.addresses.put(a);
    this.d.logger.info('elastic IP allocated', { allocationId: a.allocationId, publicIp });
    return a;
  }

  async associate(input: AssociateInput): Promise<string> {
    const a = this.get(input.allocationId);
    const eni = this.target(input);
    const privateIp = input.privateIpAddress || eni.privateIp;
    if (privateIp !== eni.privateIp) {
      throw invalidParameter(
        `${eni.id} has no private address ${quoted(privateIp)}; its address is ${eni.privateIp}`,
        'InvalidParameterValue',
      );
    }
    const state = this.d.instanceState(eni.instanceId);
    if (state !== 'running' && state !== 'stopped' && state !== 'pending') {
      throw incorrectState(
        `The instance ${eni.instanceId} is ${state ?? 'gone'}; an address can be associated with a running or stopped instance only`,
        'InvalidInstanceID',
      );
    }
    const holder = this.d.routing.addresses
      .list()
      .find((x) => x.networkInterfaceId === eni.id && x.allocationId !== a.allocationId);
    if (a.associationId && a.networkInterfaceId === eni.id) return a.associationId;
    if ((a.associationId || holder) && !input.allowReassociation) {
      throw alreadyExists(
        'Resource.AlreadyAssociated',
        a.associationId
          ? `${a.publicIp} (${a.allocationId}) is already associated with ${a.instanceId ?? a.networkInterfaceId}; pass --allow-reassociation to move it`
          : `${eni.id} already has the elastic IP ${holder?.publicIp}; pass --allow-reassociation to replace it`,
      );
    }
    if (input.dryRun) throw dryRunOperation();
    const old = a.networkInterfaceId ? this.interfaceById(a.networkInterfaceId) : undefined;
    if (holder) this.d.routing.addresses.put(unassociated(holder));
    const associationId = newId('eipassoc');
    this.d.routing.addresses.put({
      ...a,
      associationId,
      instanceId: eni.instanceId,
      networkInterfaceId: eni.id,
      privateIp,
    });
    // The elastic IP replaces the pool one, which goes back to the pool.
    if (eni.publicIp) this.d.interfaces.put({ ...eni, publicIp: undefined });
    if (old && this.d.instanceState(old.instanceId) === 'running') this.d.withPublicIp(old);
    // The new holder's VPC first, then the old one's, so the address is never mapped twice.
    if (old && old.vpcId !== eni.vpcId) await this.d.applyVpc(old.vpcId);
    await this.d.applyVpc(eni.vpcId);
    if (old) await this.d.forgetFlows(old.vpcId, a.publicIp);
    if (holder) await this.d.forgetFlows(eni.vpcId, holder.publicIp);
    this.d.logger.info('elastic IP associated', {
      allocationId: a.allocationId,
      publicIp: a.publicIp,
      instanceId: eni.instanceId,
    });
    return associationId;
  }

  async disassociate(associationId: string, dryRun: boolean): Promise<void> {
    if (!isId('eipassoc', associationId)) {
      throw invalidParameter(
        `Invalid id: ${quoted(associationId)} (expected eipassoc- followed by 17 hex digits)`,
        'InvalidAssociationID.Malformed',
      );
    }
    const a = this.d.routing.addresses.list().find((x) => x.associationId === associationId);
    if (!a) {
      throw notFound(
        'InvalidAssociationID.NotFound',
        `The association ID ${quoted(associationId)} does not exist`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.addresses.put(unassociated(a));
    const eni = a.networkInterfaceId ? this.interfaceById(a.networkInterfaceId) : undefined;
    if (!eni) return;
    // A running instance gets a pool public IP again (EC2); a stopped one at its next start.
    if (this.d.instanceState(eni.instanceId) === 'running') this.d.withPublicIp(eni);
    await this.d.applyVpc(eni.vpcId);
    await this.d.forgetFlows(eni.vpcId, a.publicIp);
  }

  release(allocationId: string, dryRun: boolean): void {
    const a = this.get(allocationId);
    if (a.associationId) {
      throw new KumoError(
        'FailedPrecondition',
        'InvalidIPAddress.InUse',
        `Address ${a.publicIp} (${a.allocationId}) is in use: associated with ${a.instanceId ?? a.networkInterfaceId} (${a.associationId}); disassociate it first`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.addresses.delete(a.allocationId);
    this.d.logger.info('elastic IP released', { allocationId, publicIp: a.publicIp });
  }

  /** Tags of an address changed (create-tags); kept on its record. */
  setTags(allocationId: string, tags: readonly Tag[]): void {
    this.d.routing.addresses.put({ ...this.get(allocationId), tags: [...tags] });
  }

  private target(input: AssociateInput): NetworkInterface {
    if (input.instanceId && input.networkInterfaceId) {
      throw new KumoError(
        'InvalidArgument',
        'InvalidParameterCombination',
        'Pass --instance-id or --network-interface-id, not both',
      );
    }
    if (input.instanceId) {
      assertId('i', input.instanceId, 'InvalidInstanceID.Malformed');
      const eni = this.d.interfaces.byInstance(input.instanceId);
      if (!eni) {
        throw notFound(
          'InvalidInstanceID.NotFound',
          `The instance ID ${quoted(input.instanceId)} does not exist`,
        );
      }
      return eni;
    }
    if (input.networkInterfaceId) {
      assertId('eni', input.networkInterfaceId, 'InvalidNetworkInterfaceID.Malformed');
      const eni = this.interfaceById(input.networkInterfaceId);
      if (!eni) {
        throw notFound(
          'InvalidNetworkInterfaceID.NotFound',
          `The networkInterface ID ${quoted(input.networkInterfaceId)} does not exist`,
        );
      }
      return eni;
    }
    throw invalidParameter(
      'Pass --instance-id or --network-interface-id to say where the address goes',
      'MissingParameter',
    );
  }

  private interfaceById(id: string): NetworkInterface | undefined {
    return this.d.interfaces.list().find((e) => e.id === id);
  }
}

function unassociated(a: ElasticAddress): ElasticAddress {
  return {
    allocationId: a.allocationId,
    publicIp: a.publicIp,
    tags: a.tags,
  };
}
