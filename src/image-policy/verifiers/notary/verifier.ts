/**
 * Notary v1 (docker content trust) verification of one image: the signed target for a tag (or,
 * for a digest reference, any signed target with that digest) in a GUN whose root is pinned,
 * whose sha256 must equal the image's digest.
 *
 * Verified metadata is kept per (server, GUN, pin), at most `maxRepositories` of them and
 * `maxCacheBytes` in all, and reused without any request for `refreshIntervalMs`; expiry is
 * re-checked against the clock on every use. The highest version seen of every role is kept per
 * (GUN, pin), for 16 times as many repositories (floors.ts, in memory or in a file), so that a
 * server, or a replay from any URL, serving older metadata later is refused (ROLLBACK). Concurrent verifications of one
 * repository share a single update, and an update that has not finished within `deadlineMs` is
 * abandoned (REGISTRY_UNAVAILABLE): a Notary server that is down or slow means a denial within
 * the deadline, never an admission.
 */
import { ImagePolicyError } from '../../errors.ts';
import { SingleFlight } from '../../registry/singleflight.ts';
import { RegistryTransport, type RegistryHostConfig } from '../../registry/transport.ts';
import { TransportMetadataFetcher, type MetadataFetcher } from './fetch-metadata.ts';
import { updateRepo, type VerifiedRepo, type Versions } from './repo-update.ts';
import { DEFAULT_ROLE_PRIORITY, findTarget } from './target-lookup.ts';
import { compilePin, type CompiledPin, type NotaryRootPin } from './trust-pin.ts';
import { MemoryFloors, type FloorStore } from './floors.ts';

export interface NotaryVerifierOptions {
  /** Milliseconds since the epoch; decides expiry and cache age. */
  now: () => number;
  fetcher?: MetadataFetcher;
  /** Per Notary server host (host:port): its CA; used when no fetcher is given. */
  hosts?: Record<string, RegistryHostConfig>;
  deadlineMs?: number;
  refreshIntervalMs?: number;
  maxRepositories?: number;
  /**
   * Where rollback floors are kept (default in memory, 16 × maxRepositories of them); a FileFloors
   * keeps them across restarts. One store may serve several verifiers (keys are GUN and pin).
   */
  floors?: FloorStore;
  /** Metadata bytes the cache keeps in all (64 MiB): past it, the oldest repositories go first. */
  maxCacheBytes?: number;
  maxMetadataBytes?: number;
  /** Bytes one update may fetch in all (root chain, delegations and all): 32 MiB by default. */
  maxUpdateBytes?: number;
  maxDelegations?: number;
  /** Roles searched in order (default targets/releases, then targets). */
  rolePriority?: readonly string[];
  /**
   * Roles whose signature counts (default: any verified role, as notary's GetTargetByName).
   * docker content trust takes only ["targets/releases", "targets"] and ignores a tag found in
   * any other delegation ("No trust data for <tag>").
   */
  acceptRoles?: readonly string[];
}

export interface NotaryVerifyRequest {
  /** https://host:port of the Notary server. */
  server: string;
  /** The trust collection, e.g. registry.example.com/team/app. */
  gun: string;
  /** The tag signed as the target name; omitted for a by-digest reference. */
  tag?: string;
  /** The image's manifest digest, sha256:<hex>. */
  digest: string;
  pin: NotaryRootPin | CompiledPin;
}

export interface NotaryVerified {
  digest: string;
  /** The target name and the role that signed it. */
  target: string;
  role: string;
  /** Whether no request was needed. */
  cached: boolean;
}

interface Entry {
  repo: VerifiedRepo;
  checkedAt: number;
}

const GUN = /^[A-Za-z0-9][A-Za-z0-9._:\-]*(\/[A-Za-z0-9][A-Za-z0-9._:\-]*)*$/;
const DIGEST = /^sha256:([0-9a-f]{64})$/;

export class NotaryVerifier {
  readonly #now: () => number;
  readonly #fetcher: MetadataFetcher;
  readonly #ownTransport?: RegistryTransport;
  readonly #deadlineMs: number;
  readonly #refreshMs: number;
  readonly #maxRepos: number;
  readonly #maxCacheBytes: number;
  #cacheBytes = 0;
  readonly #maxBytes: number;
  readonly #maxUpdateBytes: number;
  readonly #maxDelegations: number;
  readonly #priority: readonly string[];
  readonly #accept?: ReadonlySet<string>;
  readonly #repos = new Map<string, Entry>();
  readonly #floors: FloorStore;
  readonly #updates = new SingleFlight<Entry>();

  constructor(o: NotaryVerifierOptions) {
    this.#now = o.now;
    if (o.fetcher) this.#fetcher = o.fetcher;
    else this.#fetcher = new TransportMetadataFetcher((this.#ownTransport = new RegistryTransport({ hosts: o.hosts, now: o.now })));
    this.#deadlineMs = positive(o.deadlineMs ?? 10_000, 'deadlineMs');
    this.#refreshMs = o.refreshIntervalMs ?? 30_000;
    if (!(this.#refreshMs >= 0)) throw new Error('refreshIntervalMs must not be negative');
    this.#maxRepos = positive(o.maxRepositories ?? 1024, 'maxRepositories');
    // Floors are a few numbers each, so many more are kept than repositories: flooding the cache
    // with image names must not be a cheap way to make a GUN forget its floors.
    this.#floors = o.floors ?? new MemoryFloors(this.#maxRepos * 16);
    this.#maxCacheBytes = positive(o.maxCacheBytes ?? 64 << 20, 'maxCacheBytes');
    this.#maxBytes = positive(o.maxMetadataBytes ?? 8 << 20, 'maxMetadataBytes');
    this.#maxUpdateBytes = positive(o.maxUpdateBytes ?? 32 << 20, 'maxUpdateBytes');
    this.#maxDelegations = positive(o.maxDelegations ?? 64, 'maxDelegations');
    this.#priority = o.rolePriority ?? DEFAULT_ROLE_PRIORITY;
    if (o.acceptRoles) this.#accept = new Set(o.acceptRoles);
  }

  close(): void {
    this.#ownTransport?.close();
  }

  async verify(r: NotaryVerifyRequest): Promise<NotaryVerified> {
    const server = serverUrl(r.server);
    if (!GUN.test(r.gun) || r.gun.length > 255) throw new ImagePolicyError('IMAGE_NOT_FOUND', `not a notary GUN: ${JSON.stringify(r.gun)}`);
    const m = DIGEST.exec(r.digest);
    if (!m) throw new ImagePolicyError('DIGEST_MISMATCH', `image digest ${JSON.stringify(r.digest)} is not sha256:<64 hex>`);
    const pin = 'fingerprint' in r.pin ? (r.pin as CompiledPin) : compilePin(r.pin as NotaryRootPin);
    const key = `${server.origin}${server.pathname}\n${r.gun}\n${pin.fingerprint}`;

    let entry = this.#repos.get(key);
    const cached = !!entry && this.#now() - entry.checkedAt < this.#refreshMs && fresh(entry.repo, this.#now());
    if (!cached) entry = await this.#update(key, server, r.gun, pin, entry?.repo);
    const found = findTarget(entry!.repo, r.tag, m[1]!, this.#priority);
    if (!found) throw notFound(entry!.repo, r);
    if (this.#accept && !this.#accept.has(found.role)) {
      throw new ImagePolicyError('UNSIGNED', `${r.gun}:${found.name} is signed only by ${found.role}, a role this policy does not accept`);
    }
    if (!found.meta?.sha256) throw new ImagePolicyError('SIGNATURE_INVALID', `target ${found.name} in ${found.role} of ${r.gun} has no sha256 hash`);
    const signed = found.meta.sha256.toString('hex');
    if (signed !== m[1]) {
      throw new ImagePolicyError('DIGEST_MISMATCH', `${r.gun}:${found.name} is signed (by ${found.role}) for sha256:${signed}, not for the image's ${r.digest}`);
    }
    return { digest: r.digest, target: found.name, role: found.role, cached };
  }

  #update(key: string, server: URL, gun: string, pin: CompiledPin, prev: VerifiedRepo | undefined): Promise<Entry> {
    return this.#updates.do(key, () => this.#runUpdate(key, server, gun, pin, prev));
  }

  /** Keeps the entry as the youngest; the oldest go while the count or the byte bound is exceeded. */
  #cache(key: string, entry: Entry): void {
    const old = this.#repos.get(key);
    if (old) {
      this.#cacheBytes -= old.repo.bytes;
      this.#repos.delete(key);
    }
    this.#repos.set(key, entry);
    this.#cacheBytes += entry.repo.bytes;
    for (const [k, e] of this.#repos) {
      if (this.#repos.size <= this.#maxRepos && this.#cacheBytes <= this.#maxCacheBytes) break;
      if (k === key) continue;
      this.#repos.delete(k);
      this.#cacheBytes -= e.repo.bytes;
    }
  }

  async #runUpdate(key: string, server: URL, gun: string, pin: CompiledPin, prev: VerifiedRepo | undefined): Promise<Entry> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#deadlineMs);
    // Per GUN and pin, whatever the server: older metadata replayed from another URL (a mirror,
    // or an attacker's) is refused too.
    const versionsKey = `${gun}\n${pin.fingerprint}`;
    try {
      // Each file is capped by its own limit and all of them by what is left of the update's budget,
      // so many delegations of signed-but-huge lengths cannot add up to a memory problem.
      let budget = this.#maxUpdateBytes;
      const fetch = async (name: string, maxBytes: number): Promise<Buffer | undefined> => {
        if (budget <= 0) throw new ImagePolicyError('OVERSIZE', `notary metadata of ${gun} exceeds ${this.#maxUpdateBytes} bytes in all`);
        const a = await this.#fetcher.get({ server, gun, name, maxBytes: Math.min(maxBytes, budget), signal: abort.signal });
        budget -= a.body.length;
        if (a.status === 200) return a.body;
        if (a.status === 404) return undefined;
        throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `notary ${server.host}: HTTP ${a.status} for ${name}.json of ${gun}`);
      };
      const repo = await withDeadline(
        updateRepo({ gun, pin, now: this.#now(), fetch, prev, versions: this.#floors.get(versionsKey), maxMetadataBytes: this.#maxBytes, maxDelegations: this.#maxDelegations }),
        abort.signal,
        () => new ImagePolicyError('REGISTRY_UNAVAILABLE', `notary ${server.origin}: no complete answer for ${gun} within ${this.#deadlineMs} ms`),
      );
      const entry = { repo, checkedAt: this.#now() };
      this.#cache(key, entry);
      this.#floors.set(versionsKey, raise(this.#floors.get(versionsKey), repo));
      return entry;
    } finally {
      clearTimeout(timer);
    }
  }
}

function positive(n: number, what: string): number {
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`${what} must be a positive number, got ${n}`);
  return n;
}

function serverUrl(s: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `notary server ${JSON.stringify(s)} is not a URL`);
  }
  if (u.search || u.hash || u.username || u.password) throw new ImagePolicyError('REGISTRY_UNAVAILABLE', `notary server ${JSON.stringify(s)} must be a bare https URL`);
  return u;
}

/** Every expiry still ahead: cached metadata that expired meanwhile is fetched again. */
function fresh(repo: VerifiedRepo, now: number): boolean {
  if (now > repo.root.expires || now > repo.timestamp.expires || now > repo.snapshot.expires) return false;
  for (const t of repo.roles.values()) if (now > t.targets.expires) return false;
  return true;
}

/** An unsigned tag is UNSIGNED, unless a delegation that might have signed it was refused: then its reason. */
function notFound(repo: VerifiedRepo, r: NotaryVerifyRequest): ImagePolicyError {
  const what = r.tag !== undefined ? `tag ${JSON.stringify(r.tag)}` : `digest ${r.digest}`;
  const [role, err] = [...repo.invalid][0] ?? [];
  if (role && err) return new ImagePolicyError(err.code, `no valid signature for ${what} in ${r.gun}; ${role} was skipped: ${err.message}`);
  return new ImagePolicyError('UNSIGNED', `no signed target for ${what} in ${r.gun}`);
}

/** Floors of delegations kept per repository; past it, only the roles the repository has now are kept. */
const MAX_ROLE_FLOORS = 1024;

function raise(v: Versions | undefined, repo: VerifiedRepo): Versions {
  let roles = new Map(v?.roles);
  for (const [name, t] of repo.roles) roles.set(name, Math.max(roles.get(name) ?? 0, t.targets.version));
  if (roles.size > MAX_ROLE_FLOORS) roles = new Map([...roles].filter(([name]) => repo.roles.has(name)));
  return {
    root: Math.max(v?.root ?? 0, repo.root.version),
    timestamp: Math.max(v?.timestamp ?? 0, repo.timestamp.version),
    snapshot: Math.max(v?.snapshot ?? 0, repo.snapshot.version),
    roles,
  };
}

function withDeadline<T>(p: Promise<T>, signal: AbortSignal, error: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(error());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
