/**
 * A `notation` authority of a ClusterImagePolicy / ImagePolicy: Notation's trust stores (named
 * sets of X.509 CA or signing-authority roots, PEM inline) and its trust policy document
 * (trustpolicy.json 1.0: name, registryScopes, signatureVerification level and override,
 * trustStores `ca:NAME` / `signingAuthority:NAME`, trustedIdentities), checked as notation-go
 * validates it on every write of the policy, and the policy that applies to a repository picked
 * as notation picks it (an exact registryScope, else the global `*` one, else none: untrusted).
 */
import { X509Certificate } from 'node:crypto';
import type { FieldError, Path } from '../../../api/validation/field-errors.ts';
import { duplicate, forbidden, invalid, notSupported, required } from '../../../api/validation/field-errors.ts';
import { compileRef, type TrustedRootRef } from '../sigstore/compile-keyless.ts';
import { overlaps, parseTrustedIdentity, type DistinguishedName } from './distinguished-name.ts';

export type VerificationLevel = 'strict' | 'permissive' | 'audit' | 'skip';
export type ValidationAction = 'enforce' | 'log' | 'skip';
export type Validation = 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type TrustStoreType = 'ca' | 'signingAuthority';

const LEVELS: readonly VerificationLevel[] = ['strict', 'permissive', 'audit', 'skip'];
const STORE_TYPES: readonly TrustStoreType[] = ['ca', 'signingAuthority'];
/** What each level does with each validation (integrity is always enforced). */
const LEVEL_ACTIONS: Record<Exclude<VerificationLevel, 'skip'>, Record<Validation, ValidationAction>> = {
  strict: { authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' },
  permissive: { authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
  audit: { authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' },
};
const OVERRIDES: Record<Validation, readonly ValidationAction[]> = {
  authenticity: ['enforce', 'log'], authenticTimestamp: ['enforce', 'log'], expiry: ['enforce', 'log'], revocation: ['enforce', 'log', 'skip'],
};
/** Certificates per store and stores per authority: bounded, the policy is an API object. */
export const MAX_STORE_CERTIFICATES = 64;

export interface NotationTrustStore {
  type: TrustStoreType;
  name: string;
  certificates: X509Certificate[];
  /** Certificates kept in a Secret or ConfigMap: read when an image is checked (then `certificates` is empty). */
  ref?: TrustedRootRef;
}

export interface NotationTrustPolicy {
  name: string;
  /** Fully qualified repositories, or '*' (global). */
  scopes: readonly string[] | '*';
  level: VerificationLevel;
  actions: Record<Validation, ValidationAction>;
  stores: NotationTrustStore[];
  /** '*' trusts any certificate that chains to the stores. */
  identities: DistinguishedName[] | '*';
}

export interface CompiledNotation {
  policies: NotationTrustPolicy[];
}

type Obj = Record<string, any>;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates of a trust store: CA certificates or self-signed signing authorities. */
export function parseStoreCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate');
  if (blocks.length > MAX_STORE_CERTIFICATES) throw new Error(`${blocks.length} certificates, more than ${MAX_STORE_CERTIFICATES}`);
  return blocks.map((b, j) => {
    const c = new X509Certificate(b);
    // Notation's trust store takes CA (root) certificates, or a self-signed signing authority.
    if (!c.ca && !c.checkIssued(c)) throw new Error(`certificate ${j} is neither a CA nor a self-signed certificate`);
    return c;
  });
}

function compileStores(list: unknown, p: Path, policyNamespace: string | undefined, errs: FieldError[]): Map<string, NotationTrustStore> {
  const stores = new Map<string, NotationTrustStore>();
  if (!Array.isArray(list) || list.length === 0) {
    errs.push(required(p, 'at least one trust store'));
    return stores;
  }
  list.forEach((s: Obj, i: number) => {
    const sp = p.index(i);
    const type: TrustStoreType = s?.type ?? 'ca';
    if (!STORE_TYPES.includes(type)) errs.push(notSupported(sp.child('type'), type, STORE_TYPES));
    const name = typeof s?.name === 'string' ? s.name : '';
    if (!/^[a-zA-Z0-9_.-]+$/.test(name)) errs.push(invalid(sp.child('name'), name, 'a trust store name is letters, digits, ".", "_" and "-"'));
    const id = `${type}:${name}`;
    if (stores.has(id)) errs.push(duplicate(sp.child('name'), name));
    const set = ['certificates', 'secretRef', 'configMapRef'].filter((f) => s?.[f] !== undefined);
    if (set.length !== 1) {
      errs.push(invalid(sp, set.join(','), 'exactly one of certificates, secretRef or configMapRef must be set'));
      stores.set(id, { type, name, certificates: [] });
    } else if (s.certificates !== undefined) {
      let certificates: X509Certificate[] = [];
      try {
        certificates = parseStoreCertificates(String(s.certificates));
      } catch (err) {
        errs.push(invalid(sp.child('certificates'), '<PEM>', `not usable trust store certificates: ${(err as Error).message}`));
      }
      stores.set(id, { type, name, certificates });
    } else {
      const kind = s.secretRef !== undefined ? 'Secret' : 'ConfigMap';
      const ref = compileRef(s.secretRef ?? s.configMapRef ?? {}, kind, sp.child(kind === 'Secret' ? 'secretRef' : 'configMapRef'), policyNamespace, errs);
      stores.set(id, { type, name, certificates: [], ref });
    }
  });
  return stores;
}

function compilePolicy(t: Obj, p: Path, stores: Map<string, NotationTrustStore>, errs: FieldError[]): NotationTrustPolicy | undefined {
  const name = typeof t?.name === 'string' ? t.name : '';
  if (name === '') errs.push(required(p.child('name')));
  const scopes: string[] = Array.isArray(t?.registryScopes) ? t.registryScopes : [];
  if (scopes.length === 0) errs.push(required(p.child('registryScopes')));
  const global = scopes.includes('*');
  if (global && scopes.length > 1) errs.push(invalid(p.child('registryScopes'), scopes.join(','), 'the global scope "*" must be the only registry scope of its policy'));
  scopes.forEach((s, i) => {
    if (s !== '*' && (typeof s !== 'string' || s.includes('*') || !/^[^/\s]+\/[^\s]*[^/\s]$/.test(s))) errs.push(invalid(p.child('registryScopes').index(i), s, 'a registry scope is a fully qualified repository (registry/path, no "*") or "*"'));
  });
  const sv: Obj = t?.signatureVerification ?? {};
  const level: VerificationLevel = sv.level;
  if (!LEVELS.includes(level)) {
    errs.push(notSupported(p.child('signatureVerification', 'level'), level, LEVELS));
    return undefined;
  }
  const storeRefs: string[] = Array.isArray(t?.trustStores) ? t.trustStores : [];
  const idList: string[] = Array.isArray(t?.trustedIdentities) ? t.trustedIdentities : [];
  if (level === 'skip') {
    if (sv.override !== undefined) errs.push(forbidden(p.child('signatureVerification', 'override'), 'the skip level cannot be overridden'));
    if (storeRefs.length > 0) errs.push(forbidden(p.child('trustStores'), 'a policy at the skip level has no trust stores'));
    if (idList.length > 0) errs.push(forbidden(p.child('trustedIdentities'), 'a policy at the skip level has no trusted identities'));
    if (global) errs.push(forbidden(p.child('registryScopes'), 'the skip level cannot be used with the global scope "*"'));
    return { name, scopes: global ? '*' : scopes, level, actions: { authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' }, stores: [], identities: [] };
  }
  const actions = { ...LEVEL_ACTIONS[level] };
  for (const [k, v] of Object.entries((sv.override ?? {}) as Obj)) {
    const allowed = OVERRIDES[k as Validation];
    if (!allowed) errs.push(notSupported(p.child('signatureVerification', 'override').key(k), k, Object.keys(OVERRIDES)));
    else if (!allowed.includes(v)) errs.push(notSupported(p.child('signatureVerification', 'override').key(k), v, allowed));
    else actions[k as Validation] = v;
  }
  if (storeRefs.length === 0) errs.push(required(p.child('trustStores')));
  const used: NotationTrustStore[] = [];
  storeRefs.forEach((ref, i) => {
    const s = stores.get(ref);
    if (!s) errs.push(invalid(p.child('trustStores').index(i), ref, 'names no trust store of this authority (TYPE:NAME, TYPE ca or signingAuthority; tsa stores are not supported)'));
    else used.push(s);
  });
  if (idList.length === 0) errs.push(required(p.child('trustedIdentities')));
  let identities: DistinguishedName[] | '*' = [];
  if (idList.includes('*')) {
    if (idList.length > 1) errs.push(invalid(p.child('trustedIdentities'), idList.join(','), 'a wildcard "*" must be the only trusted identity'));
    identities = '*';
  } else {
    idList.forEach((id, i) => {
      try {
        const dn = parseTrustedIdentity(String(id));
        if ((identities as DistinguishedName[]).some((o) => overlaps(o, dn))) errs.push(invalid(p.child('trustedIdentities').index(i), id, 'overlaps another trusted identity of this policy'));
        (identities as DistinguishedName[]).push(dn);
      } catch (err) {
        errs.push(invalid(p.child('trustedIdentities').index(i), id, (err as Error).message));
      }
    });
  }
  return { name, scopes: global ? '*' : scopes, level, actions, stores: used, identities };
}

/**
 * Compiles the authority; `errs` gets a field error per problem (then the result is not used).
 * `policyNamespace`: an ImagePolicy's, whose stores may name its own Secrets and ConfigMaps only.
 */
export function compileNotation(n: Obj, p: Path, errs: FieldError[], policyNamespace?: string): CompiledNotation {
  const stores = compileStores(n?.trustStores, p.child('trustStores'), policyNamespace, errs);
  const list: Obj[] = Array.isArray(n?.trustPolicies) ? n.trustPolicies : [];
  if (list.length === 0) errs.push(required(p.child('trustPolicies')));
  const policies: NotationTrustPolicy[] = [];
  const names = new Set<string>();
  const scopes = new Set<string>();
  list.forEach((t, i) => {
    const tp = p.child('trustPolicies').index(i);
    const c = compilePolicy(t, tp, stores, errs);
    if (!c) return;
    if (names.has(c.name)) errs.push(duplicate(tp.child('name'), c.name));
    names.add(c.name);
    for (const s of c.scopes === '*' ? ['*'] : c.scopes) {
      if (scopes.has(s)) errs.push(invalid(tp.child('registryScopes'), s, s === '*' ? 'only one trust policy may use the global scope "*"' : 'a registry scope may appear in one trust policy only'));
      scopes.add(s);
    }
    policies.push(c);
  });
  return { policies };
}

/** The stores kept in Secrets or ConfigMaps (read per check). */
export function referencedStores(n: CompiledNotation): NotationTrustStore[] {
  return [...new Set(n.policies.flatMap((p) => p.stores.filter((s) => s.ref)))];
}

/** The authority with the certificates read for its referenced stores. */
export function withStoreCertificates(n: CompiledNotation, read: ReadonlyMap<NotationTrustStore, X509Certificate[]>): CompiledNotation {
  if (read.size === 0) return n;
  return { policies: n.policies.map((p) => ({ ...p, stores: p.stores.map((s) => (read.has(s) ? { ...s, certificates: read.get(s)! } : s)) })) };
}

/** The policy for a fully qualified repository: the one that names it, else the global one. */
export function selectTrustPolicy(n: CompiledNotation, repository: string): NotationTrustPolicy | undefined {
  return n.policies.find((p) => p.scopes !== '*' && p.scopes.includes(repository)) ?? n.policies.find((p) => p.scopes === '*');
}
