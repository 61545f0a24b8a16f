/**
 * Service account tokens for projected volumes, as the kubelet's token manager
 * (pkg/kubelet/token/token_manager.go): requested through TokenRequest as the node (the Node
 * authorizer lets it ask only for pods bound to it), bound to the pod, cached per (account,
 * audience, expiration, pod uid) and requested again once 80 % of the token's life has passed or
 * it is 24 h old (each with up to 10 s of jitter). Tokens of a pod go when the pod goes; expired
 * ones are dropped on every lookup, so the cache is bounded by the pods on the node.
 */
import { resources } from '../../client/resources.ts';
import type { ApiClient, K8sObject } from '../../client/types.ts';

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_JITTER_MS = 10_000;

export interface TokenSpec {
  namespace: string;
  serviceAccountName: string;
  /** '' or absent: the API server's audiences. */
  audience?: string;
  expirationSeconds: number;
  podName: string;
  podUid: string;
}

interface Cached {
  token: string;
  expiresAt: number;
  expirationSeconds: number;
  podUid: string;
}

export class TokenManager {
  #cache = new Map<string, Cached>();
  #client: ApiClient;
  #now: () => number;
  #random: () => number;

  constructor(client: ApiClient, now: () => number = Date.now, random: () => number = Math.random) {
    this.#client = client;
    this.#now = now;
    this.#random = random;
  }

  #requiresRefresh(c: Cached): boolean {
    const now = this.#now();
    const issuedAt = c.expiresAt - c.expirationSeconds * 1000;
    const jitter = Math.floor(this.#random() * (MAX_JITTER_MS / 1000)) * 1000;
    if (now > issuedAt + MAX_TTL_MS - jitter) return true;
    // Within 20 % of the requested life (plus jitter) of the expiry.
    return now > c.expiresAt - Math.floor((c.expirationSeconds * 20) / 100) * 1000 - jitter;
  }

  /** The pod's token for this spec: the cached one unless it is due, else a fresh one. */
  async get(s: TokenSpec): Promise<string> {
    this.#dropExpired();
    const key = JSON.stringify([s.namespace, s.serviceAccountName, s.audience ?? '', s.expirationSeconds, s.podName, s.podUid]);
    const have = this.#cache.get(key);
    if (have && !this.#requiresRefresh(have)) return have.token;
    const body: K8sObject = {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {},
      spec: {
        ...(s.audience ? { audiences: [s.audience] } : {}),
        expirationSeconds: s.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: s.podName, uid: s.podUid },
      },
    };
    let tr: K8sObject;
    try {
      tr = await this.#client.postSubresource<K8sObject>(resources.serviceaccounts, s.namespace, s.serviceAccountName, 'token', body);
    } catch (err) {
      // A refresh that fails keeps the token that still works (upstream: "token is still valid").
      if (have && have.expiresAt > this.#now()) return have.token;
      throw err;
    }
    const token = String(tr.status?.token ?? '');
    const expiresAt = Date.parse(String(tr.status?.expirationTimestamp ?? ''));
    if (!token || Number.isNaN(expiresAt)) throw new Error('the TokenRequest response has no token or expirationTimestamp');
    this.#cache.set(key, { token, expiresAt, expirationSeconds: s.expirationSeconds, podUid: s.podUid });
    return token;
  }

  /** Drops the pod's tokens (the pod is gone from the node). */
  forgetPod(uid: string): void {
    for (const [k, c] of this.#cache) if (c.podUid === uid) this.#cache.delete(k);
  }

  #dropExpired(): void {
    const now = this.#now();
    for (const [k, c] of this.#cache) if (c.expiresAt <= now) this.#cache.delete(k);
  }

  get size(): number {
    return this.#cache.size;
  }
}
