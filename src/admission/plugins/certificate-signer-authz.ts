/**
 * Upstream's certificates.IsAuthorizedForSignerName, shared by CertificateApproval and
 * CertificateSigning: `verb` on the synthetic `signers` resource of certificates.k8s.io named by
 * the signer, or else by its domain wildcard (`example.com/*`), so one grant can cover every
 * signer of a domain. An authorizer error counts as no (fail closed).
 */
import type { UserInfo } from '../../authn/types.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { AdmissionAttributes, Verdict } from '../types.ts';

export async function isAuthorizedForSignerName(authz: Authorizer, user: UserInfo, verb: string, signerName: string): Promise<boolean> {
  const domain = signerName.split('/')[0]!;
  for (const name of [signerName, `${domain}/*`]) {
    try {
      const r = await authz.authorize({
        user,
        verb,
        name,
        isResourceRequest: true,
        path: '',
        apiGroup: 'certificates.k8s.io',
        apiVersion: '*',
        namespace: '',
        resource: 'signers',
        subresource: '',
      });
      if (r.decision === 'allow') return true;
    } catch {
      // An authorizer that fails has not allowed: try the wildcard, then refuse.
    }
  }
  return false;
}

/** A write to certificates.k8s.io certificatesigningrequests (or one of its subresources). */
export function isCsrRequest(a: AdmissionAttributes, subresource: string): boolean {
  return a.resource.group === 'certificates.k8s.io' && a.resource.resource === 'certificatesigningrequests' && a.subresource === subresource;
}

export function signerNameOf(o: Record<string, any> | undefined): string {
  return typeof o?.spec?.signerName === 'string' ? o.spec.signerName : '';
}

/**
 * The verdict of CertificateApproval and CertificateSigning: `verb` on the signer the stored
 * request names (a signerName changed in the body gains nothing), worded as upstream.
 */
export async function signerPermission(authz: Authorizer, a: AdmissionAttributes, verb: 'approve' | 'sign'): Promise<Verdict> {
  if (!a.oldObject) return { allowed: false, reason: 'expected type CertificateSigningRequest, got: <nil>' };
  const signer = signerNameOf(a.oldObject);
  if (await isAuthorizedForSignerName(authz, a.user, verb, signer)) return { allowed: true };
  return { allowed: false, reason: `user not permitted to ${verb} requests with signerName "${signer}"` };
}
