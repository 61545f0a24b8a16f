import { jsonEqual } from '../../api/json-equal.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { isAuthorizedForSignerName, isCsrRequest, signerNameOf } from './certificate-signer-authz.ts';

/**
 * CertificateSigning (upstream plugin/pkg/admission/certificates/signing): setting or changing
 * status.certificate of a CertificateSigningRequest through /status needs `sign` on the request's
 * signer (as stored). Status writes that leave the certificate alone pass.
 */
export class CertificateSigning implements ValidatingPlugin {
  readonly name = 'CertificateSigning';
  readonly #authz: Authorizer;

  constructor(deps: PluginDeps) {
    this.#authz = deps.authorizer;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'UPDATE' && isCsrRequest(a, 'status');
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (!a.oldObject) return { allowed: false, reason: 'expected type CertificateSigningRequest, got: <nil>' };
    if (!a.object) return { allowed: false, reason: 'expected type CertificateSigningRequest, got: <nil>' };
    if (jsonEqual(a.oldObject.status?.certificate, a.object.status?.certificate)) return { allowed: true };
    const signer = signerNameOf(a.oldObject);
    if (await isAuthorizedForSignerName(this.#authz, a.user, 'sign', signer)) return { allowed: true };
    return { allowed: false, reason: `user not permitted to sign requests with signerName "${signer}"` };
  }
}
