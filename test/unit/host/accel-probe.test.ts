import { describe, expect, it } from 'vitest';
import { chooseAccelerator } from '../../../src/host/accel-probe.js';

const kvmHost = { kvmDeviceUsable: true, cpuHasVirtFlags: true, pvmModule: false };
const pvmHost = { kvmDeviceUsable: true, cpuHasVirtFlags: false, pvmModule: true };

describe('chooseAccelerator', () => {
  it('auto picks KVM on a real KVM host', () => {
    expect(chooseAccelerator('auto', kvmHost).accel).toBe('kvm');
  });
  it('auto picks TCG on a PVM host even though /dev/kvm opens', () => {
    const c = chooseAccelerator('auto', pvmHost);
    expect(c.accel).toBe('tcg');
    expect(c.reason).toMatch(/PVM/);
  });
  it('auto picks TCG without /dev/kvm', () => {
    expect(chooseAccelerator('auto', { ...kvmHost, kvmDeviceUsable: false }).accel).toBe('tcg');
  });
  it('kvm without /dev/kvm is an error; tcg is always allowed', () => {
    expect(() => chooseAccelerator('kvm', { ...kvmHost, kvmDeviceUsable: false })).toThrow(
      /dev\/kvm/,
    );
    expect(chooseAccelerator('tcg', kvmHost).accel).toBe('tcg');
  });
});
