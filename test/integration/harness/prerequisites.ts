import { execaSync } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';

/**
 * What an integration suite needs from the machine. On a developer's laptop a missing one skips
 * the suite (with the reason in its name); in CI it fails it, because a suite that silently skips
 * there proves nothing while the run still shows green.
 */
export type Prerequisite =
  'root' | 'netns' | 'qemu' | 'image' | 'qemu-user' | 'firmware-image' | 'conntrack' | 'xorriso';

export const ALL_PREREQUISITES: readonly Prerequisite[] = [
  'root',
  'netns',
  'qemu',
  'image',
  'qemu-user',
];

/** The built default image the suites boot (same default as kumod's --image-dir). */
export const IMAGE_DIR = process.env.KUMO_IMAGE_DIR ?? '/var/cache/kumo/images/kumo-tiny';
/** The firmware-bootable disk images/kumo-debian builds (scripts/test builds it). */
export const FIRMWARE_IMAGE_DIR =
  process.env.KUMO_DEBIAN_IMAGE_DIR ?? '/var/cache/kumo/images/kumo-debian';
/** The unprivileged user kumod runs QEMU as (scripts/setup creates it). */
export const QEMU_USER = 'kumo-qemu';

const succeeds = (cmd: string, args: readonly string[]): boolean => {
  try {
    execaSync(cmd, [...args], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
};

/** Why each prerequisite is missing, with what fixes it; undefined when it is there. */
const CHECKS: Record<Prerequisite, () => string | undefined> = {
  root: () =>
    process.getuid?.() === 0
      ? undefined
      : 'needs root (network namespaces, taps, cgroups): run as root',
  netns: () =>
    succeeds('ip', ['netns', 'list']) && succeeds('nsenter', ['--version'])
      ? undefined
      : '`ip netns` or `nsenter` does not work: install iproute2 and util-linux',
  qemu: () =>
    succeeds('qemu-system-x86_64', ['--version'])
      ? undefined
      : 'qemu-system-x86_64 is missing: install qemu-system-x86 qemu-utils (scripts/setup)',
  image: () =>
    existsSync(join(IMAGE_DIR, 'manifest.json'))
      ? undefined
      : `no built image in ${IMAGE_DIR}: run images/kumo-tiny/build.sh ${IMAGE_DIR} (scripts/setup)`,
  'firmware-image': () =>
    existsSync(join(FIRMWARE_IMAGE_DIR, 'manifest.json')) &&
    existsSync('/usr/share/OVMF/OVMF_CODE_4M.fd')
      ? undefined
      : `no firmware-bootable image in ${FIRMWARE_IMAGE_DIR} or no OVMF: run images/kumo-debian/build.sh ${FIRMWARE_IMAGE_DIR} and install ovmf (scripts/test)`,
  conntrack: () =>
    succeeds('conntrack', ['--version'])
      ? undefined
      : 'the conntrack tool is missing: install conntrack (scripts/test does)',
  xorriso: () =>
    succeeds('xorriso', ['-version'])
      ? undefined
      : 'xorriso is missing (NoCloud seeds): install xorriso (scripts/setup does)',
  'qemu-user': () =>
    succeeds('getent', ['passwd', QEMU_USER])
      ? undefined
      : `the user ${QEMU_USER} is missing: run scripts/setup (kumod refuses to run QEMU as root)`,
};

/** The reasons the machine cannot run a suite that needs `needs` (empty when it can). */
export function missingPrerequisites(needs: readonly Prerequisite[]): string[] {
  return needs.flatMap((n) => CHECKS[n]() ?? []);
}

/** True when running in CI: the usual CI=true, also CI=1; CI=false or CI=0 mean no. */
export function inCi(): boolean {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}

/**
 * Throws when `needs` are missing and this is CI; otherwise returns the reasons (empty when all
 * are there), for suites that decide for themselves what to skip.
 */
export function requirePrerequisites(needs: readonly Prerequisite[] = ALL_PREREQUISITES): string[] {
  const missing = missingPrerequisites(needs);
  if (missing.length > 0 && inCi()) {
    throw new Error(
      `integration prerequisites missing in CI (CI=${process.env.CI}): ${missing.join('; ')}`,
    );
  }
  return missing;
}

/**
 * `describe` for a suite that needs the real machine. When something is missing: outside CI the
 * suite is skipped and its name says why; in CI it is replaced by one failing test that says what
 * is missing and how to get it, so the run is red instead of silently proving nothing.
 */
export function integrationSuite(
  name: string,
  body: () => void,
  needs: readonly Prerequisite[] = ALL_PREREQUISITES,
): void {
  const missing = missingPrerequisites(needs);
  if (missing.length === 0) {
    describe(name, body);
  } else if (inCi()) {
    describe(name, () => {
      it('has the prerequisites it needs (CI must not skip integration tests)', () => {
        throw new Error(`missing in CI (CI=${process.env.CI}): ${missing.join('; ')}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${missing.join('; ')})`, body);
  }
}
