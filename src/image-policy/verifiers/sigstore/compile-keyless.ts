/**
 * The `keyless` authority of a trust policy (and its `attestations`) checked and compiled on every
 * write of the policy: an inline trusted root must parse as one, identities need an issuer and a
 * subject (exact or RE2), conditions must compile in the CEL environment and be boolean. A
 * trusted root in a Secret or ConfigMap is read when an image is checked (image-verifier.ts).
 */
import type { Path, FieldError } from '../../../api/validation/field-errors.ts';
import { forbidden, invalid, required } from '../../../api/validation/field-errors.ts';
import { compileAttestationCondition } from './attestation-condition.ts';
import { identityProblems, type KeylessIdentity } from './identity.ts';
import type { AttestationRequirement } from './keyless-authority.ts';
import { loadTrustedRoot, type SigstoreTrust } from './trusted-root.ts';

/** Where a trusted root is kept outside the policy: `key` of a Secret's or ConfigMap's data. */
export interface TrustedRootRef {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  key: string;
}

export interface CompiledKeyless {
  root: { trust: SigstoreTrust } | { ref: TrustedRootRef };
  identities: KeylessIdentity[];
  attestations: AttestationRequirement[];
}

type Obj = Record<string, any>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A Secret's or ConfigMap's key named by a policy; an ImagePolicy may name its own namespace's only. */
export function compileRef(r: Obj, kind: TrustedRootRef['kind'], p: Path, policyNamespace: string | undefined, errs: FieldError[]): TrustedRootRef {
  let ns = str(r.namespace) ?? '';
  // A namespaced policy reads its trusted root from its own namespace only.
  if (policyNamespace !== undefined) {
    if (ns !== '' && ns !== policyNamespace) errs.push(forbidden(p.child('namespace'), `an ImagePolicy may only name a ${kind} of its own namespace`));
    ns = policyNamespace;
  } else if (ns === '') errs.push(required(p.child('namespace'), `a ClusterImagePolicy must name the ${kind}'s namespace`));
  if (!str(r.name)) errs.push(required(p.child('name')));
  if (!str(r.key)) errs.push(required(p.child('key')));
  return { kind, namespace: ns, name: String(r.name ?? ''), key: String(r.key ?? '') };
}

export function compileKeyless(k: Obj, attestations: unknown, p: Path, policyNamespace: string | undefined, errs: FieldError[]): CompiledKeyless | undefined {
  const kp = p.child('keyless');
  const before = errs.length;
  const tr: Obj = k?.trustedRoot ?? {};
  const rp = kp.child('trustedRoot');
  const set = ['data', 'secretRef', 'configMapRef'].filter((f) => tr[f] !== undefined);
  let root: CompiledKeyless['root'] | undefined;
  if (set.length !== 1) errs.push(invalid(rp, set.join(','), 'exactly one of data, secretRef or configMapRef must be set'));
  else if (tr.data !== undefined) {
    try {
      root = { trust: loadTrustedRoot(String(tr.data)) };
    } catch (e) {
      errs.push(invalid(rp.child('data'), '<trusted root>', (e as Error).message));
    }
  } else {
    const kind = tr.secretRef !== undefined ? 'Secret' : 'ConfigMap';
    root = { ref: compileRef(tr.secretRef ?? tr.configMapRef ?? {}, kind, rp.child(kind === 'Secret' ? 'secretRef' : 'configMapRef'), policyNamespace, errs) };
  }
  if (root && 'trust' in root && !root.trust.hasCertificateAuthority) errs.push(invalid(rp.child('data'), '<trusted root>', 'the trusted root has no certificate authority: no keyless signature could verify'));

  const identities: KeylessIdentity[] = [];
  const ids: Obj[] = Array.isArray(k?.identities) ? k.identities : [];
  if (ids.length === 0) errs.push(required(kp.child('identities'), 'at least one identity (issuer and subject) must be trusted'));
  ids.forEach((id, i) => {
    const entry: KeylessIdentity = {};
    for (const f of ['issuer', 'subject', 'issuerRegExp', 'subjectRegExp'] as const) if (typeof id?.[f] === 'string') entry[f] = id[f];
    for (const problem of identityProblems(entry)) errs.push(invalid(kp.child('identities').index(i), '<identity>', problem));
    identities.push(entry);
  });

  const reqs: AttestationRequirement[] = [];
  const list: Obj[] = Array.isArray(attestations) ? attestations : attestations === undefined ? [] : [{}];
  list.forEach((a, i) => {
    const ap = p.child('attestations').index(i);
    const predicateType = str(a?.predicateType);
    if (!predicateType) errs.push(required(ap.child('predicateType')));
    const req: AttestationRequirement = { name: str(a?.name) ?? `attestation-${i}`, predicateType: predicateType ?? '' };
    if (a?.condition !== undefined) {
      const c = compileAttestationCondition(String(a.condition));
      if (c.ok) req.condition = { text: String(a.condition), program: c.program };
      else errs.push(invalid(ap.child('condition'), a.condition, c.detail));
    }
    reqs.push(req);
  });
  if (errs.length > before || !root) return undefined;
  return { root, identities, attestations: reqs };
}
