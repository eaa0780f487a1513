import {
  alreadyExists,
  dryRunOperation,
  invalidParameter,
  listed,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId, newId } from '../core/ids.js';
import type { Filter, Tag } from '../core/tags.js';
import { applyFilters } from '../core/tags.js';
import type { ComputeDeps } from './deps.js';
import { DEFAULT_KEY_TYPE, KEY_NAME_PATTERN, type KeyPair, type KeyType } from './key-pair.js';
import type { KeyPairRepository, SshKeyTool } from './ports.js';
import { validateTagSpecifications, type TagSpecification } from './tag-specifications.js';

type KeyDeps = Pick<ComputeDeps, 'keyPairs' | 'clock' | 'locks'> & { readonly sshKeys: SshKeyTool };

/** EC2's DryRun: every check runs, nothing changes, and success is reported as DryRunOperation. */
export interface DryRunOption {
  readonly dryRun?: boolean | undefined;
}

function validateName(repo: KeyPairRepository, name: string): void {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw invalidParameter('KeyName must be 1 to 255 printable ASCII characters');
  }
  if (repo.findByName(name)) {
    throw alreadyExists(
      'InvalidKeyPair.Duplicate',
      `The key pair ${quoted(name)} already exists; pick another name or delete it first`,
    );
  }
}

function parseKeyType(type: string): KeyType {
  const t = type || DEFAULT_KEY_TYPE;
  if (t !== 'ed25519' && t !== 'rsa') {
    throw invalidParameter(`Invalid KeyType ${quoted(type)}; use rsa or ed25519`);
  }
  return t;
}

/** CreateKeyPair: rsa unless asked otherwise (as EC2); the private key is returned once, never stored. */
export async function createKeyPair(
  deps: KeyDeps,
  name: string,
  type: string,
  tagSpecs: readonly TagSpecification[],
  options: DryRunOption = {},
): Promise<{ key: KeyPair; privateKey: string }> {
  const keyType = parseKeyType(type);
  const tags = validateTagSpecifications(tagSpecs, ['key-pair']);
  return deps.locks.run('key-pairs', async () => {
    validateName(deps.keyPairs, name);
    if (options.dryRun) throw dryRunOperation();
    const generated = await deps.sshKeys.generate(keyType, name);
    const key = save(deps, name, keyType, generated.fingerprint, generated.publicKey, tags);
    return { key, privateKey: generated.privateKey };
  });
}

/** ImportKeyPair: an OpenSSH public key line. */
export async function importKeyPair(
  deps: KeyDeps,
  name: string,
  publicKeyMaterial: string,
  tagSpecs: readonly TagSpecification[],
  options: DryRunOption = {},
): Promise<KeyPair> {
  const tags = validateTagSpecifications(tagSpecs, ['key-pair']);
  return deps.locks.run('key-pairs', async () => {
    validateName(deps.keyPairs, name);
    // The key is checked on a dry run too: a malformed key would fail the real call.
    const info = await deps.sshKeys.inspect(publicKeyMaterial.trim());
    if (options.dryRun) throw dryRunOperation();
    return save(deps, name, info.type, info.fingerprint, info.publicKey, tags);
  });
}

function save(
  deps: KeyDeps,
  name: string,
  type: KeyType,
  fingerprint: string,
  publicKey: string,
  tags: Tag[],
): KeyPair {
  const key: KeyPair = {
    id: newId('key'),
    name,
    type,
    fingerprint,
    publicKey,
    createdAt: deps.clock.now(),
    tags,
  };
  deps.keyPairs.put(key);
  return key;
}

export function describeKeyPairs(
  repo: KeyPairRepository,
  names: readonly string[],
  ids: readonly string[],
  filters: readonly Filter[],
): KeyPair[] {
  let keys = repo.list();
  if (names.length > 0 || ids.length > 0) {
    for (const id of ids) assertId('key', id, 'InvalidKeyPair.Malformed');
    const missing = [
      ...names.filter((n) => !repo.findByName(n)),
      ...ids.filter((id) => !repo.get(id)),
    ];
    if (missing.length > 0) {
      throw notFound(
        'InvalidKeyPair.NotFound',
        `The key pair${missing.length > 1 ? 's' : ''} '${listed(missing)}' do${missing.length > 1 ? '' : 'es'} not exist`,
      );
    }
    keys = keys.filter((k) => names.includes(k.name) || ids.includes(k.id));
  }
  return applyFilters(keys, filters, {
    fields: {
      'key-name': (k) => [k.name],
      'key-pair-id': (k) => [k.id],
      fingerprint: (k) => [k.fingerprint],
      'key-type': (k) => [k.type],
    },
    tags: (k) => k.tags,
  });
}

/** DeleteKeyPair: by name or id; deleting a missing key succeeds, as in EC2. */
export function deleteKeyPair(
  repo: KeyPairRepository,
  name: string,
  id: string,
  options: DryRunOption = {},
): string | undefined {
  if (!name && !id) throw invalidParameter('Pass --key-name or --key-pair-id', 'MissingParameter');
  if (id) assertId('key', id, 'InvalidKeyPair.Malformed');
  // A missing key would be "deleted" successfully, so a dry run succeeds for it too.
  if (options.dryRun) throw dryRunOperation();
  const key = id ? repo.get(id) : repo.findByName(name);
  if (key) repo.delete(key.id);
  return key?.id;
}
