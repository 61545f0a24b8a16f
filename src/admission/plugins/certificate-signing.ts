import { jsonEqual } from '../../api/json-equal.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { isCsrRequest, signerPermission } from './certificate-signer-authz.ts';

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
    if (a.oldObject && a.object && jsonEqual(a.oldObject.status?.certificate, a.object.status?.certificate)) return { allowed: true };
    return signerPermission(this.#authz, a, 'sign');
  }
}
