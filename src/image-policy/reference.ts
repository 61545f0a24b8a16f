/**
 * Image references as github.com/distribution/reference parses them (what the kubelet, containerd
 * and policy-controller use): the same grammar, the same docker.io/library normalisation and the
 * same error texts, so a name Portcullis verifies is the name the runtime pulls.
 */

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRegexp = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPat}$`);
const anchoredDigestRegexp = new RegExp(`^${digestPat}$`);
const anchoredIdentifierRegexp = /^([a-f0-9]{64})$/;

export const NAME_TOTAL_LENGTH_MAX = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';

/** A reference that does not parse, with distribution/reference's (or go-digest's) words. */
export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

export const ERR_REFERENCE_INVALID_FORMAT = 'invalid reference format';
export const ERR_TAG_INVALID_FORMAT = 'invalid tag format';
export const ERR_NAME_CONTAINS_UPPERCASE = 'repository name must be lowercase';
export const ERR_NAME_EMPTY = 'repository name must have at least one component';
export const ERR_NAME_TOO_LONG = `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`;
export const ERR_DIGEST_INVALID_FORMAT = 'invalid checksum digest format';
export const ERR_DIGEST_INVALID_LENGTH = 'invalid checksum digest length';
export const ERR_DIGEST_UNSUPPORTED = 'unsupported digest algorithm';

/** Hex lengths of the digest algorithms go-digest registers (sha256, sha384, sha512). */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** go-digest's Digest.Validate: returns the digest or throws with its error text. */
export function parseDigest(s: string): string {
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) throw new ReferenceError(ERR_DIGEST_INVALID_FORMAT);
  const algorithm = s.slice(0, i);
  const encoded = s.slice(i + 1);
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined) {
    throw new ReferenceError(anchoredDigestRegexp.test(s) ? ERR_DIGEST_UNSUPPORTED : ERR_DIGEST_INVALID_FORMAT);
  }
  if (encoded.length !== length) throw new ReferenceError(ERR_DIGEST_INVALID_LENGTH);
  if (!/^[a-f0-9]+$/.test(encoded)) throw new ReferenceError(ERR_DIGEST_INVALID_FORMAT);
  return s;
}

/**
 * A parsed reference. `domain` is '' only for a raw (not normalised) name without one; a
 * digest-only reference has neither domain nor path.
 */
export interface ImageReference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** The repository name: domain/path (upstream's Name()). */
export function referenceName(r: ImageReference): string {
  return r.domain === '' ? r.path : `${r.domain}/${r.path}`;
}

/** The reference as text: name[:tag][@digest] (upstream's String()). */
export function referenceString(r: ImageReference): string {
  const name = referenceName(r);
  return `${name}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** reference.Parse: the raw grammar, no normalisation. */
export function parseReference(s: string): ImageReference {
  if (s === '') throw new ReferenceError(ERR_NAME_EMPTY);
  const m = referenceRegexp.exec(s);
  if (!m) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) throw new ReferenceError(ERR_NAME_CONTAINS_UPPERCASE);
    throw new ReferenceError(ERR_REFERENCE_INVALID_FORMAT);
  }
  const nm = anchoredNameRegexp.exec(m[1]!);
  const domain = nm ? (nm[1] ?? '') : '';
  const path = nm ? nm[2]! : m[1]!;
  if (path.length > NAME_TOTAL_LENGTH_MAX) throw new ReferenceError(ERR_NAME_TOO_LONG);
  const digest = m[3] !== undefined && m[3] !== '' ? parseDigest(m[3]) : undefined;
  const tag = m[2] !== undefined && m[2] !== '' ? m[2] : undefined;
  if (path === '' && digest === undefined) throw new ReferenceError(ERR_NAME_EMPTY);
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === LEGACY_DEFAULT_DOMAIN) {
    domain = DEFAULT_DOMAIN;
    remainder = maybeRemote;
  } else if (maybeDomain === 'localhost' || /[.:]/.test(maybeDomain) || maybeDomain.toLowerCase() !== maybeDomain) {
    domain = maybeDomain;
    remainder = maybeRemote;
  } else {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** reference.ParseNormalizedNamed: "busybox" is docker.io/library/busybox. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw new ReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new ReferenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const ref = parseReference(`${domain}/${remainder}`);
  if (ref.path === '') throw new ReferenceError(`reference ${referenceString(ref)} has no name`);
  return ref;
}

/**
 * reference.ParseDockerRef: normalised, with "latest" when there is neither tag nor digest, and
 * the tag dropped when there is a digest (the digest is what is pulled).
 */
export function parseDockerRef(s: string): ImageReference {
  const r = parseNormalizedNamed(s);
  if (r.digest !== undefined) return { domain: r.domain, path: r.path, digest: r.digest };
  if (r.tag === undefined) return { domain: r.domain, path: r.path, tag: DEFAULT_TAG };
  return r;
}

/** reference.FamiliarString: docker.io/library/busybox:1 reads busybox:1. */
export function familiarString(r: ImageReference): string {
  let { domain, path } = r;
  if (domain === DEFAULT_DOMAIN) {
    domain = '';
    if (path.startsWith(OFFICIAL_REPO_PREFIX) && !path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
      path = path.slice(OFFICIAL_REPO_PREFIX.length);
    }
  }
  return referenceString({ ...r, domain, path });
}

/** reference.WithTag on a name. */
export function withTag(r: ImageReference, tag: string): ImageReference {
  if (!anchoredTagRegexp.test(tag)) throw new ReferenceError(ERR_TAG_INVALID_FORMAT);
  return { ...r, tag };
}

/** The reference pinned to a digest, without its tag: what admission writes into a Pod. */
export function withDigest(r: ImageReference, digest: string): ImageReference {
  return { domain: r.domain, path: r.path, digest: parseDigest(digest) };
}
