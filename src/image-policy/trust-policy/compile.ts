/**
 * A ClusterImagePolicy or ImagePolicy turned into what admission runs: compiled globs, parsed
 * keys and Notary authorities. The same function checks every write of a policy (the plugin
 * refuses what does not compile, 422 with the field) and builds the enforced form, so a stored
 * policy is never one that admission could not enforce.
 */
import type { KeyObject } from 'node:crypto';
import { invalid, path, required, forbidden, type FieldError } from '../../api/validation/field-errors.ts';
import { loadPublicKeys } from '../verifiers/cosign-key.ts';
import { NotaryAuthority } from '../verifiers/notary/authority.ts';
import type { NotaryRootPin } from '../verifiers/notary/trust-pin.ts';
import { compileKeyless, type CompiledKeyless } from '../verifiers/sigstore/compile-keyless.ts';
import { compileNotation, type CompiledNotation } from '../verifiers/notation/trust-policy.ts';
import { compileGlob } from './glob.ts';

export type PolicyMode = 'enforce' | 'warn' | 'audit';
export type PolicyKind = 'ClusterImagePolicy' | 'ImagePolicy';

export interface SecretKeyRef {
  namespace: string;
  name: string;
  key?: string;
}

export type CompiledAuthority =
  | { type: 'key'; name: string; keys: KeyObject[] }
  | { type: 'key-secret'; name: string; secret: SecretKeyRef }
  | { type: 'notary'; name: string; authority: NotaryAuthority }
  | { type: 'static'; name: string; pass: boolean }
  | ({ type: 'keyless'; name: string } & CompiledKeyless)
  | { type: 'notation'; name: string; notation: CompiledNotation };

export interface CompiledPolicy {
  kind: PolicyKind;
  namespace: string;
  name: string;
  /** `ClusterImagePolicy "signed"` / `ImagePolicy "team/signed"`: how messages name it. */
  label: string;
  /** Changes with every spec change (uid + generation): verdicts are cached under it. */
  version: string;
  mode: PolicyMode;
  globs: RegExp[];
  authorities: CompiledAuthority[];
}

type Obj = Record<string, any>;

function keysOf(data: string, p: ReturnType<typeof path>, errs: FieldError[]): KeyObject[] {
  try {
    return loadPublicKeys([data]);
  } catch (err) {
    errs.push(invalid(p, '<PEM>', `not a PEM public key (ECDSA, RSA or Ed25519): ${(err as Error).message}`));
    return [];
  }
}

function compileNotary(n: Obj, p: ReturnType<typeof path>, errs: FieldError[]): NotaryAuthority | undefined {
  const roots: Record<string, NotaryRootPin> = {};
  (n.roots ?? []).forEach((r: Obj, i: number) => {
    const gun = typeof r.gun === 'string' && r.gun !== '' ? r.gun : '*';
    if (Object.hasOwn(roots, gun)) errs.push(invalid(p.child('roots').index(i).child('gun'), gun, 'duplicate GUN'));
    roots[gun] = { keyIds: r.keyIds ?? [], publicKeysPem: r.publicKeys ?? [], caPem: typeof r.caCertificates === 'string' && r.caCertificates !== '' ? [r.caCertificates] : [] };
  });
  try {
    return new NotaryAuthority({ server: String(n.server ?? ''), caPem: typeof n.caBundle === 'string' && n.caBundle !== '' ? n.caBundle : undefined, roots });
  } catch (err) {
    errs.push(invalid(p, '<notary>', (err as Error).message));
    return undefined;
  }
}

/** Compiles a policy; `errors` is empty exactly when `policy` is set. */
export function compilePolicy(obj: Obj, kind: PolicyKind): { policy?: CompiledPolicy; errors: FieldError[] } {
  const errs: FieldError[] = [];
  const spec: Obj = obj.spec ?? {};
  const sp = path('spec');
  const namespace = kind === 'ImagePolicy' ? String(obj.metadata?.namespace ?? '') : '';
  const name = String(obj.metadata?.name ?? '');

  const globs: RegExp[] = [];
  const images: Obj[] = Array.isArray(spec.images) ? spec.images : [];
  if (images.length === 0) errs.push(required(sp.child('images')));
  images.forEach((img, i) => {
    try {
      globs.push(compileGlob(String(img?.glob ?? '')));
    } catch (err) {
      errs.push(invalid(sp.child('images').index(i).child('glob'), img?.glob, (err as Error).message));
    }
  });

  const mode: PolicyMode = spec.mode ?? 'enforce';
  if (!['enforce', 'warn', 'audit'].includes(mode)) errs.push(invalid(sp.child('mode'), mode, 'must be enforce, warn or audit'));

  const authorities: CompiledAuthority[] = [];
  const list: Obj[] = Array.isArray(spec.authorities) ? spec.authorities : [];
  if (list.length === 0) errs.push(required(sp.child('authorities')));
  list.forEach((a, i) => {
    const ap = sp.child('authorities').index(i);
    const aname = typeof a?.name === 'string' && a.name !== '' ? a.name : `authority-${i}`;
    for (const f of ['ctlog', 'rfc3161timestamp', 'sources']) {
      if (a?.[f] !== undefined) errs.push(forbidden(ap.child(f), 'not supported yet'));
    }
    const set = ['key', 'notary', 'static', 'keyless', 'notation'].filter((f) => a?.[f] !== undefined);
    if (set.length !== 1) {
      errs.push(invalid(ap, set.join(','), 'exactly one of key, notary, static, keyless or notation must be set'));
      return;
    }
    if (a.attestations !== undefined && !a.keyless) errs.push(forbidden(ap.child('attestations'), 'attestations are verified for keyless authorities only'));
    if (a.keyless) {
      const k = compileKeyless(a.keyless, a.attestations, ap, kind === 'ImagePolicy' ? namespace : undefined, errs);
      if (k) authorities.push({ type: 'keyless', name: aname, ...k });
    } else if (a.key) {
      const kp = ap.child('key');
      if (a.key.kms !== undefined) errs.push(forbidden(kp.child('kms'), 'KMS keys are not supported yet'));
      if (typeof a.key.data === 'string' && a.key.secretRef === undefined) {
        authorities.push({ type: 'key', name: aname, keys: keysOf(a.key.data, kp.child('data'), errs) });
      } else if (a.key.secretRef !== undefined && a.key.data === undefined) {
        const ref = a.key.secretRef as Obj;
        const rp = kp.child('secretRef');
        let ns = typeof ref.namespace === 'string' ? ref.namespace : '';
        // A namespaced policy reads keys from its own namespace only.
        if (kind === 'ImagePolicy') {
          if (ns !== '' && ns !== namespace) errs.push(forbidden(rp.child('namespace'), "an ImagePolicy may only name a Secret of its own namespace"));
          ns = namespace;
        } else if (ns === '') errs.push(required(rp.child('namespace'), 'a ClusterImagePolicy must name the Secret\'s namespace'));
        if (typeof ref.name !== 'string' || ref.name === '') errs.push(required(rp.child('name')));
        authorities.push({ type: 'key-secret', name: aname, secret: { namespace: ns, name: String(ref.name ?? ''), ...(typeof ref.key === 'string' && ref.key !== '' ? { key: ref.key } : {}) } });
      } else {
        errs.push(invalid(kp, '<key>', 'exactly one of data or secretRef must be set'));
      }
    } else if (a.notation) {
      const before = errs.length;
      const notation = compileNotation(a.notation, ap.child('notation'), errs, kind === 'ImagePolicy' ? namespace : undefined);
      if (errs.length === before) authorities.push({ type: 'notation', name: aname, notation });
    } else if (a.notary) {
      const authority = compileNotary(a.notary, ap.child('notary'), errs);
      if (authority) authorities.push({ type: 'notary', name: aname, authority });
    } else {
      const action = a.static?.action;
      if (action !== 'pass' && action !== 'fail') errs.push(invalid(ap.child('static', 'action'), action, 'must be pass or fail'));
      authorities.push({ type: 'static', name: aname, pass: action === 'pass' });
    }
  });

  if (errs.length > 0) return { errors: errs };
  const label = kind === 'ClusterImagePolicy' ? `ClusterImagePolicy "${name}"` : `ImagePolicy "${namespace}/${name}"`;
  const version = `${obj.metadata?.uid ?? ''}/${obj.metadata?.generation ?? 0}`;
  return { policy: { kind, namespace, name, label, version, mode, globs, authorities }, errors: [] };
}
