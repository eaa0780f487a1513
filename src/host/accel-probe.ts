import { access, constants, readFile } from 'node:fs/promises';
import type { Accelerator } from '../compute/ports.js';

export type AccelRequest = 'auto' | 'kvm' | 'tcg';

/** What the host shows about hardware virtualisation. */
export interface AccelFacts {
  readonly kvmDeviceUsable: boolean;
  /** vmx (Intel) or svm (AMD) in /proc/cpuinfo. */
  readonly cpuHasVirtFlags: boolean;
  /** kvm_pvm loaded: KVM that only runs PVM-enabled guest kernels. */
  readonly pvmModule: boolean;
}

export interface AccelChoice {
  readonly accel: Accelerator;
  readonly reason: string;
}

/**
 * Pure decision: `auto` uses KVM only when standard guests can run on it. /dev/kvm opening is not
 * enough: a PVM host (kvm_pvm, no vmx/svm) gives a /dev/kvm on which a stock kernel never boots.
 */
export function chooseAccelerator(request: AccelRequest, f: AccelFacts): AccelChoice {
  if (request === 'tcg') return { accel: 'tcg', reason: 'TCG requested with --accel tcg' };
  if (request === 'kvm') {
    if (!f.kvmDeviceUsable) throw new Error('--accel kvm: /dev/kvm is missing or not accessible');
    return { accel: 'kvm', reason: 'KVM requested with --accel kvm' };
  }
  if (!f.kvmDeviceUsable)
    return { accel: 'tcg', reason: 'auto: /dev/kvm is missing or not accessible, using TCG' };
  if (f.pvmModule && !f.cpuHasVirtFlags) {
    return {
      accel: 'tcg',
      reason:
        'auto: /dev/kvm is PVM (kvm_pvm loaded, no vmx/svm CPU flag); standard guest kernels cannot boot on it, using TCG',
    };
  }
  if (!f.cpuHasVirtFlags) {
    return { accel: 'tcg', reason: 'auto: the CPU shows no vmx/svm flag, using TCG' };
  }
  return {
    accel: 'kvm',
    reason: 'auto: /dev/kvm is usable and the CPU has hardware virtualisation, using KVM',
  };
}

/** Reads the facts from this host. */
export async function probeAccelFacts(): Promise<AccelFacts> {
  const kvmDeviceUsable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const cpuHasVirtFlags = /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo);
  const pvmModule = await access('/sys/module/kvm_pvm').then(
    () => true,
    () => false,
  );
  return { kvmDeviceUsable, cpuHasVirtFlags, pvmModule };
}
