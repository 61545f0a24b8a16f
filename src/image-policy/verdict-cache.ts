/**
 * Verdicts of image verification, keyed by what they depend on: the image's digest (with the
 * repository and tag a signature names) and the policy's version (uid + generation, and the
 * key Secrets' resourceVersions), so a policy edit or a new key is never answered from an old
 * verdict. Allows live long, denials briefly (an image signed a moment later is admitted soon),
 * as ImagePolicyWebhook's allowTTL / denyTTL (5 min / 30 s by default). Bounded: past
 * `maxEntries` the least recently used verdict goes.
 */
export interface CachedVerdict {
  allowed: boolean;
  /** For a denial: the reason code and message. */
  code?: string;
  message?: string;
  /** For an allow: the authority that vouched for the image. */
  authority?: string;
  /** For an allow: validations the authority's policy only logs that failed (Notation). */
  notes?: string[];
}

export interface VerdictCacheOptions {
  now: () => number;
  allowTtlMs?: number;
  denyTtlMs?: number;
  maxEntries?: number;
}

interface Entry {
  verdict: CachedVerdict;
  expires: number;
}

export class VerdictCache {
  readonly #now: () => number;
  readonly #allowTtl: number;
  readonly #denyTtl: number;
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(o: VerdictCacheOptions) {
    this.#now = o.now;
    this.#allowTtl = o.allowTtlMs ?? 5 * 60_000;
    this.#denyTtl = o.denyTtlMs ?? 30_000;
    this.#max = o.maxEntries ?? 10_000;
    for (const [name, v] of Object.entries({ allowTtlMs: this.#allowTtl, denyTtlMs: this.#denyTtl, maxEntries: this.#max })) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`verdict cache: ${name} must be a non-negative number, got ${v}`);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CachedVerdict | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.verdict;
  }

  set(key: string, verdict: CachedVerdict): void {
    const ttl = verdict.allowed ? this.#allowTtl : this.#denyTtl;
    if (ttl === 0 || this.#max === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { verdict, expires: this.#now() + ttl });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  clear(): void {
    this.#entries.clear();
  }
}
