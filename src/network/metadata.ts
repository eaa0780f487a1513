/**
 * The EC2 instance metadata service's paths (what cloud-init, the AWS SDKs and the default image
 * read), rendered from what kumod knows about the instance that asked. Pure: the HTTP side lives
 * in src/api. The same tree is served under latest/ and every dated version EC2 lists, since
 * clients pick a version by probing (cloud-init asks for 2021-03-23/meta-data/instance-id first).
 */
import { identityDocument, metadataLeaves, type MetadataContext } from './metadata-tree.js';

export type { MetadataContext } from './metadata-tree.js';

export interface MetadataResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** Close the connection without answering (HttpEndpoint=disabled). */
  readonly drop?: boolean;
}

/** The versions EC2 lists at the root, oldest first, "latest" last. */
export const METADATA_VERSIONS: readonly string[] = [
  '1.0',
  '2007-01-19',
  '2007-03-01',
  '2007-08-29',
  '2007-10-10',
  '2007-12-15',
  '2008-02-01',
  '2008-09-01',
  '2009-04-04',
  '2011-01-01',
  '2011-05-01',
  '2012-01-12',
  '2014-02-25',
  '2014-11-05',
  '2015-10-20',
  '2016-04-19',
  '2016-06-30',
  '2016-09-02',
  '2018-03-28',
  '2018-08-17',
  '2018-09-24',
  '2019-10-01',
  '2020-10-27',
  '2021-01-03',
  '2021-03-23',
  '2021-07-15',
  '2022-09-24',
  'latest',
];
const VERSIONS = new Set(METADATA_VERSIONS);

const text = (body: string): MetadataResponse => ({ status: 200, contentType: 'text/plain', body });
export const NOT_FOUND: MetadataResponse = {
  status: 404,
  contentType: 'text/html',
  body: '<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html>\n<html><head><title>404 - Not Found</title></head><body><h1>404 - Not Found</h1></body></html>\n',
};

/**
 * The listing of a directory as EC2 prints it: immediate children one per line, sub-directories
 * with a trailing '/', sorted, and no newline after the last.
 */
function listing(leaves: Iterable<string>, dir: string): string | undefined {
  const children = new Set<string>();
  for (const leaf of leaves) {
    if (!leaf.startsWith(dir)) continue;
    const rest = leaf.slice(dir.length);
    const slash = rest.indexOf('/');
    children.add(slash < 0 ? rest : rest.slice(0, slash + 1));
  }
  return children.size === 0 ? undefined : [...children].sort().join('\n');
}

/** A path under meta-data/ ('' is meta-data/ itself): a leaf's value or a directory's listing. */
function metaData(ctx: MetadataContext, rel: string): MetadataResponse {
  const leaves = metadataLeaves(ctx);
  const bare = rel.replace(/\/$/, '');
  // EC2 lists public keys as "index=name"; cloud-init reads the key at <index>/openssh-key.
  if (bare === 'public-keys') {
    return ctx.publicKey ? text(`0=${ctx.keyName ?? '0'}`) : NOT_FOUND;
  }
  const leaf = leaves.get(bare);
  if (leaf !== undefined) return rel.endsWith('/') ? NOT_FOUND : text(leaf);
  // A directory answers with its listing with or without the trailing slash, as on EC2.
  const list = listing(leaves.keys(), bare === '' ? '' : `${bare}/`);
  return list === undefined ? NOT_FOUND : text(list);
}

export function renderMetadata(ctx: MetadataContext, rawPath: string): MetadataResponse {
  const path = (rawPath.split('?')[0] ?? '').replace(/\/{2,}/g, '/');
  if (path === '/') return text(METADATA_VERSIONS.join('\n'));
  const m = /^\/([^/]+)(\/.*)?$/.exec(path);
  if (!m || !VERSIONS.has(m[1] as string)) return NOT_FOUND;
  const rest = (m[2] ?? '/').replace(/^\//, '');
  if (rest === '') {
    return text(['dynamic', 'meta-data', ...(ctx.userData ? ['user-data'] : [])].join('\n'));
  }
  if (rest === 'user-data') {
    return ctx.userData
      ? { status: 200, contentType: 'application/octet-stream', body: ctx.userData }
      : NOT_FOUND;
  }
  if (rest === 'dynamic' || rest === 'dynamic/') return text('instance-identity/');
  if (rest === 'dynamic/instance-identity' || rest === 'dynamic/instance-identity/') {
    // EC2 also lists pkcs7, rsa2048 and signature: AWS's signatures, which kumo cannot make.
    return text('document');
  }
  if (rest === 'dynamic/instance-identity/document') {
    return { status: 200, contentType: 'text/plain', body: identityDocument(ctx) };
  }
  if (rest === 'meta-data' || rest.startsWith('meta-data/')) {
    return metaData(ctx, rest.slice('meta-data/'.length));
  }
  return NOT_FOUND;
}
