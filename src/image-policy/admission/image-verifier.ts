/**
 * Verification of one image against the trust policies that match it: the tag resolved to a
 * digest once (with the pod's credentials), then each policy's authorities tried in order until
 * one vouches for that digest (policy-controller's rule: every matching policy must pass, any one
 * of a policy's authorities suffices). Verdicts are cached per digest and policy version.
 */
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import type { Store } from '../../storage/types.ts';
import { ImagePolicyError, isImagePolicyError, type ReasonCode } from '../errors.ts';
import { referenceName, type ImageReference } from '../reference.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { CredentialKeyring } from '../registry/credentials.ts';
import { loadPublicKeys } from '../verifiers/cosign-key.ts';
import type { NotaryAuthority } from '../verifiers/notary/authority.ts';
import { NotaryVerifier } from '../verifiers/notary/verifier.ts';
import type { FloorStore } from '../verifiers/notary/floors.ts';
import type { CompiledAuthority, CompiledPolicy, SecretKeyRef } from '../trust-policy/compile.ts';
import type { TrustedRootRef } from '../verifiers/sigstore/compile-keyless.ts';
import { verifyKeyless } from '../verifiers/sigstore/keyless-authority.ts';
import { loadTrustedRoot, type SigstoreTrust } from '../verifiers/sigstore/trusted-root.ts';
import { verifyKeyOrBundle } from '../verifiers/sigstore/key-or-bundle.ts';
import { verifyNotation } from '../verifiers/notation/authority.ts';
import { parseStoreCertificates, referencedStores, withStoreCertificates, type CompiledNotation, type NotationTrustStore } from '../verifiers/notation/trust-policy.ts';
import { isBroken } from '../trust-policy/policy-source.ts';
import type { VerdictCache } from '../verdict-cache.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

export interface PolicyResult {
  policy: CompiledPolicy;
  allowed: boolean;
  code?: ReasonCode;
  message?: string;
  authority?: string;
  /** An allow's logged failures (a Notation level or override that logs rather than enforces). */
  notes?: string[];
  cached: boolean;
}

export interface ImageVerifierOptions {
  registry: RegistryClient;
  store: Store;
  cache: VerdictCache;
  now: () => number;
  /** Deadline of Notary updates (the plugin's deadline bounds the whole check anyway). */
  deadlineMs: number;
  /** Notary servers (with their CA) kept at once; each keeps its own metadata cache. */
  maxNotaryServers?: number;
  /** Notary rollback floors shared by every server's verifier (default: each its own, in memory). */
  notaryFloors?: FloorStore;
  /** Secrets whose keys are kept parsed. */
  maxSecretKeys?: number;
}

type Obj = Record<string, any>;

/** The pod's registry credentials, read only when a registry is asked (a cached verdict needs none). */
export type Credentials = () => Promise<CredentialKeyring | undefined>;

export class ImageVerifier {
  readonly #o: ImageVerifierOptions;
  readonly #notary = new Map<string, NotaryVerifier>();
  readonly #secretKeys = new Map<string, KeyObject[] | string>();
  readonly #trustedRoots = new Map<string, SigstoreTrust | string>();
  readonly #storeCerts = new Map<string, X509Certificate[] | string>();

  constructor(o: ImageVerifierOptions) {
    this.#o = o;
  }

  close(): void {
    for (const v of this.#notary.values()) v.close();
    this.#notary.clear();
  }

  /** The digest the reference runs: its own, or its tag's at the registry now. */
  async resolve(ref: ImageReference, credentials: Credentials, signal: AbortSignal): Promise<string> {
    if (ref.digest !== undefined) return ref.digest;
    return (await this.#o.registry.resolve(ref, { keyring: await credentials(), signal })).digest;
  }

  async check(policy: CompiledPolicy, image: string, ref: ImageReference, digest: string, credentials: Credentials, signal: AbortSignal): Promise<PolicyResult> {
    if (isBroken(policy)) return { policy, allowed: false, code: 'UNTRUSTED_KEY', message: `the policy does not compile: ${policy.broken}`, cached: false };
    // What a verdict depends on: the policy's version, its key Secrets' versions, and the
    // repository and tag a signature must name besides the digest.
    const secretVersions: string[] = [];
    const secretKeys = new Map<CompiledAuthority, KeyObject[] | SigstoreTrust | CompiledNotation | string>();
    for (const a of policy.authorities) {
      if (a.type === 'notation') {
        // Trust stores kept in Secrets or ConfigMaps: read now, their versions in the verdict's key.
        const read = new Map<NotationTrustStore, X509Certificate[]>();
        let problem: string | undefined;
        for (const s of referencedStores(a.notation)) {
          const { version, value } = await this.#fromRef(s.ref!, this.#storeCerts, parseStoreCertificates);
          secretVersions.push(version);
          if (typeof value === 'string') problem ??= `trust store ${s.type}:${s.name}: ${value}`;
          else read.set(s, value);
        }
        secretKeys.set(a, problem ?? withStoreCertificates(a.notation, read));
      }
      if (a.type === 'keyless' && 'ref' in a.root) {
        const { version, value } = await this.#fromRef(a.root.ref, this.#trustedRoots, loadTrustedRoot);
        secretVersions.push(version);
        secretKeys.set(a, value);
      }
      if (a.type !== 'key-secret') continue;
      const { version, keys } = await this.#keysFromSecret(a.secret);
      secretVersions.push(version);
      secretKeys.set(a, keys);
    }
    const key = `${policy.version}|${secretVersions.join(',')}|${referenceName(ref)}|${ref.tag ?? ''}|${digest}`;
    const hit = this.#o.cache.get(key);
    if (hit) return { policy, allowed: hit.allowed, code: hit.code as ReasonCode | undefined, message: hit.message, authority: hit.authority, ...(hit.notes && { notes: hit.notes }), cached: true };

    const failures: ImagePolicyError[] = [];
    for (const a of policy.authorities) {
      try {
        const notes = await this.#verify(a, secretKeys.get(a), image, ref, digest, credentials, signal);
        this.#o.cache.set(key, { allowed: true, authority: a.name, ...(notes.length > 0 && { notes }) });
        return { policy, allowed: true, authority: a.name, ...(notes.length > 0 && { notes }), cached: false };
      } catch (err) {
        const e = isImagePolicyError(err) ? err : new ImagePolicyError('REGISTRY_UNAVAILABLE', (err as Error).message, { cause: err });
        failures.push(new ImagePolicyError(e.code, policy.authorities.length > 1 ? `${a.name}: ${e.message}` : e.message));
      }
    }
    // The first authority's reason names the denial; the others' are in the message.
    const code = failures[0]!.code;
    const message = failures.map((f) => f.message).join('; ');
    // A registry that did not answer says nothing about the image: not remembered.
    if (!failures.some((f) => f.code === 'REGISTRY_UNAVAILABLE')) this.#o.cache.set(key, { allowed: false, code, message });
    return { policy, allowed: false, code, message, cached: false };
  }

  /** Resolves when the authority vouches for the digest, with the failures its policy only logs. */
  async #verify(a: CompiledAuthority, secretKeys: KeyObject[] | SigstoreTrust | CompiledNotation | string | undefined, image: string, ref: ImageReference, digest: string, credentials: Credentials, signal: AbortSignal): Promise<string[]> {
    switch (a.type) {
      case 'static':
        if (!a.pass) throw new ImagePolicyError('UNTRUSTED_KEY', 'the policy refuses every image it matches (static fail)');
        return [];
      case 'notation': {
        const n = secretKeys ?? a.notation;
        if (typeof n === 'string') throw new ImagePolicyError('UNTRUSTED_KEY', n);
        return (await verifyNotation(this.#o.registry, ref, digest, n as CompiledNotation, new Date(this.#o.now()), { keyring: await credentials(), signal })).logged;
      }
      case 'key':
      case 'key-secret': {
        const keys = a.type === 'key' ? a.keys : secretKeys;
        if (typeof keys === 'string' || keys === undefined || !Array.isArray(keys)) throw new ImagePolicyError('UNTRUSTED_KEY', typeof keys === 'string' ? keys : 'no key');
        await verifyKeyOrBundle(this.#o.registry, { domain: ref.domain, path: ref.path, digest }, keys, { keyring: await credentials(), signal });
        return [];
      }
      case 'notary':
        await this.#notaryFor(a.authority).then((v) => a.authority.verify(v, image, digest));
        return [];
      case 'keyless': {
        const trust = 'trust' in a.root ? a.root.trust : secretKeys;
        if (typeof trust === 'string' || trust === undefined || Array.isArray(trust) || 'policies' in trust) throw new ImagePolicyError('UNTRUSTED_KEY', typeof trust === 'string' ? trust : 'no trusted root');
        await verifyKeyless(this.#o.registry, ref, digest, { trust, identities: a.identities, attestations: a.attestations }, { keyring: await credentials(), signal });
        return [];
      }
    }
  }

  /**
   * A key of a Secret (base64 data) or ConfigMap parsed (a keyless trusted root, a Notation trust
   * store), or why there is none; parsed values are kept per object version.
   */
  async #fromRef<T>(ref: TrustedRootRef, cache: Map<string, T | string>, parse: (text: string) => T): Promise<{ version: string; value: T | string }> {
    const resource = ref.kind === 'Secret' ? 'secrets' : 'configmaps';
    const s = await this.#o.store.get<Obj>(builtinKey('', resource, ref.namespace, ref.name));
    const what = `${ref.kind} ${ref.namespace}/${ref.name}`;
    if (!s) return { version: 'missing', value: `${what} does not exist` };
    const id = `${ref.kind}/${ref.namespace}/${ref.name}/${ref.key}@${s.modRevision}`;
    let value = cache.get(id);
    if (value === undefined) {
      const raw: unknown = s.value.data?.[ref.key];
      try {
        if (typeof raw !== 'string') throw new Error(`has no key ${JSON.stringify(ref.key)}`);
        value = parse(ref.kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw);
      } catch (err) {
        value = `${what}: ${(err as Error).message}`;
      }
      cache.set(id, value);
      while (cache.size > (this.#o.maxSecretKeys ?? 256)) cache.delete(cache.keys().next().value!);
    }
    return { version: `${ref.kind}@${s.modRevision}`, value };
  }


  async #notaryFor(authority: NotaryAuthority): Promise<NotaryVerifier> {
    const id = `${authority.server}|${authority.caPem ? createHash('sha256').update(authority.caPem).digest('hex') : ''}`;
    let v = this.#notary.get(id);
    if (v) {
      this.#notary.delete(id);
      this.#notary.set(id, v);
      return v;
    }
    v = new NotaryVerifier({ now: this.#o.now, hosts: authority.hosts, deadlineMs: this.#o.deadlineMs, ...(this.#o.notaryFloors && { floors: this.#o.notaryFloors }) });
    this.#notary.set(id, v);
    const max = this.#o.maxNotaryServers ?? 64;
    while (this.#notary.size > max) {
      const [oldest, old] = this.#notary.entries().next().value!;
      this.#notary.delete(oldest);
      old.close();
    }
    return v;
  }

  /** The public keys of a Secret (every data value, or one key), or why there are none. */
  async #keysFromSecret(ref: SecretKeyRef): Promise<{ version: string; keys: KeyObject[] | string }> {
    const s = await this.#o.store.get<Obj>(builtinKey('', 'secrets', ref.namespace, ref.name));
    const what = `Secret ${ref.namespace}/${ref.name}`;
    if (!s) return { version: 'missing', keys: `${what} does not exist` };
    const id = `${ref.namespace}/${ref.name}/${ref.key ?? ''}@${s.modRevision}`;
    let keys = this.#secretKeys.get(id);
    if (keys === undefined) {
      const data: Obj = s.value.data ?? {};
      const values = ref.key !== undefined ? (typeof data[ref.key] === 'string' ? [data[ref.key]] : []) : Object.values(data).filter((v): v is string => typeof v === 'string');
      try {
        keys = values.length === 0 ? `${what} has no ${ref.key !== undefined ? `key ${JSON.stringify(ref.key)}` : 'data'}` : loadPublicKeys(values.map((v) => Buffer.from(v, 'base64').toString('utf8')));
      } catch (err) {
        keys = `${what}: not a PEM public key: ${(err as Error).message}`;
      }
      this.#secretKeys.set(id, keys);
      while (this.#secretKeys.size > (this.#o.maxSecretKeys ?? 256)) this.#secretKeys.delete(this.#secretKeys.keys().next().value!);
    }
    return { version: String(s.modRevision), keys };
  }
}
