import { invalidParameter, quoted } from '../core/errors.js';
import type { Rollback } from '../core/rollback.js';
import { privateHostname } from '../network/naming.js';
import type { Instance } from './instance.js';

/**
 * run-instances --cloud-init-seed (a kumo extension, decision 0031): `nocloud` attaches a NoCloud
 * seed to the guest, so cloud-init configures it without the network metadata service (images
 * that only know NoCloud, or instances whose metadata endpoint is disabled).
 */
export const CLOUD_INIT_SEEDS = ['none', 'nocloud'] as const;
export type CloudInitSeed = (typeof CLOUD_INIT_SEEDS)[number];

/** The launch's choice; unset or empty (proto3's zero value): none. */
export function parseCloudInitSeed(value: string | undefined): CloudInitSeed {
  if (value === undefined || value === '') return 'none';
  if ((CLOUD_INIT_SEEDS as readonly string[]).includes(value)) return value as CloudInitSeed;
  throw invalidParameter(
    `Invalid value ${quoted(value)} for CloudInitSeed. Valid values: ${CLOUD_INIT_SEEDS.join(', ')}`,
  );
}

/** The files of a NoCloud seed (a file system labelled `cidata`), as cloud-init reads them. */
export interface NoCloudFiles {
  readonly metaData: string;
  readonly userData: Uint8Array;
  readonly networkConfig: string;
}

/**
 * Where seeds are made: the host adapter writes the files into a read-only image beside the
 * instance's other files (src/host/nocloud-iso.ts).
 */
export interface CloudInitSeeds {
  /**
   * Writes the instance's seed image, replacing the one it had, and returns its path. On failure
   * nothing of this call is left (the previous image, if any, is gone too).
   */
  write(instanceId: string, files: NoCloudFiles): Promise<string>;
  /** Removes the instance's seed image; nothing to do when it has none. */
  remove(instanceId: string): Promise<void>;
}

/** What a guest gets as user data when the launch gave none: an empty cloud-config. */
export const EMPTY_USER_DATA = '#cloud-config\n{}\n';

/**
 * A YAML double-quoted scalar. JSON's string escapes are YAML's too; everything outside printable
 * ASCII is escaped as well, so no byte of a key comment or a hostname can end the scalar, start a
 * line or be read as a YAML line break (U+2028), whatever YAML version the guest's parser speaks.
 */
export function yamlString(s: string): string {
  let out = '';
  for (const ch of JSON.stringify(s)) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out;
}

/**
 * The seed's files for an instance, from its record alone (pure, golden-tested):
 * - meta-data: the instance id (cloud-init's "first boot" key: the same id across stop/start, so
 *   per-instance modules run once), local-hostname (the private DNS name, as IMDS gives it) and
 *   the launch key pair's public key;
 * - user-data: the instance's user data byte for byte, or an empty cloud-config;
 * - network-config (version 2): the NIC matched by its MAC, on DHCP, which gives it its fixed
 *   address, gateway, DNS servers and domain as for any guest. No set-name: the guest keeps the
 *   name its kernel and udev gave the NIC (cloud-init looks it up by MAC; renaming a NIC at boot
 *   is what images break on), as with the EC2 datasource. `eth0` is only the entry's id.
 */
export function noCloudSeedFiles(instance: Instance, dnsDomain: string): NoCloudFiles {
  const nic = instance.network;
  if (!nic) throw new Error(`${instance.id} has no network interface for its NoCloud seed`);
  const meta = [
    `instance-id: ${yamlString(instance.id)}`,
    `local-hostname: ${yamlString(privateHostname(nic.privateIp, dnsDomain))}`,
  ];
  const key = instance.publicKey?.trim();
  if (key) meta.push('public-keys:', `  - ${yamlString(key)}`);
  const network = [
    'version: 2',
    'ethernets:',
    '  eth0:',
    '    match:',
    `      macaddress: ${yamlString(nic.mac.toLowerCase())}`,
    '    dhcp4: true',
  ];
  return {
    metaData: meta.join('\n') + '\n',
    userData:
      instance.userData && instance.userData.length > 0
        ? instance.userData
        : new TextEncoder().encode(EMPTY_USER_DATA),
    networkConfig: network.join('\n') + '\n',
  };
}

/**
 * Writes the seed of every instance of a launch batch that asked for one, side by side; each
 * written seed registers its removal with the launch's rollback. Written at every start (never
 * reused), so it always carries the instance's current key, address and user data. Returns the
 * seed image of each instance that has one.
 */
export async function writeSeeds(
  seeds: CloudInitSeeds,
  dnsDomain: string,
  batch: readonly Instance[],
  rollback: Rollback,
): Promise<ReadonlyMap<string, string>> {
  const written = new Map<string, string>();
  // Settled, not Promise.all: every write has ended (and registered its undo) before a failure
  // reaches the rollback, so no seed finishes after the launch was undone.
  const results = await Promise.allSettled(
    batch
      .filter((i) => i.cloudInitSeed === 'nocloud')
      .map(async (i) => {
        const path = await seeds.write(i.id, noCloudSeedFiles(i, dnsDomain));
        rollback.add(`NoCloud seed of ${i.id}`, () => seeds.remove(i.id));
        written.set(i.id, path);
      }),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return written;
}
