/**
 * Keyless identities: who a Fulcio certificate was issued to (its SAN: a workflow URI or an
 * email) and by which OIDC issuer. Exact strings or RE2 regular expressions, matched anywhere in
 * the value as Go's regexp.MatchString (cosign's --certificate-identity-regexp and
 * policy-controller's subjectRegExp); anchor them with ^…$ to match the whole value.
 */
import { compileRe2, re2Find } from '../../../cel/re2.ts';

export interface KeylessIdentity {
  issuer?: string;
  subject?: string;
  issuerRegExp?: string;
  subjectRegExp?: string;
}

/** The problems of one identity entry (empty when valid), with the field names of the policy. */
export function identityProblems(id: KeylessIdentity): string[] {
  const out: string[] = [];
  if (id.issuer !== undefined && id.issuerRegExp !== undefined) out.push('only one of issuer and issuerRegExp may be set');
  if (id.subject !== undefined && id.subjectRegExp !== undefined) out.push('only one of subject and subjectRegExp may be set');
  if (!id.issuer && !id.issuerRegExp) out.push('one of issuer and issuerRegExp is required');
  if (!id.subject && !id.subjectRegExp) out.push('one of subject and subjectRegExp is required');
  for (const f of ['issuerRegExp', 'subjectRegExp'] as const) {
    const p = id[f];
    if (p === undefined) continue;
    const c = compileRe2(p);
    if (!c.ok) out.push(`${f}: ${c.error}`);
  }
  return out;
}

function fieldMatches(exact: string | undefined, pattern: string | undefined, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (exact !== undefined) return exact === value;
  return pattern !== undefined && re2Find(pattern, value);
}

export function identityMatches(id: KeylessIdentity, signer: { issuer?: string; subject?: string }): boolean {
  return fieldMatches(id.issuer, id.issuerRegExp, signer.issuer) && fieldMatches(id.subject, id.subjectRegExp, signer.subject);
}
