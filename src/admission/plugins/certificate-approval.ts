import type { Authorizer } from '../../authz/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { isCsrRequest, signerPermission } from './certificate-signer-authz.ts';

/**
 * CertificateApproval (upstream plugin/pkg/admission/certificates/approval): approving or denying a
 * CertificateSigningRequest through /approval needs, besides update on that subresource, `approve`
 * on the request's signer. The signer is read from the stored request, so naming another signer
 * in the body gains nothing.
 */
export class CertificateApproval implements ValidatingPlugin {
  readonly name = 'CertificateApproval';
  readonly #authz: Authorizer;

  constructor(deps: PluginDeps) {
    this.#authz = deps.authorizer;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'UPDATE' && isCsrRequest(a, 'approval');
  }

  validate(a: AdmissionAttributes): Promise<Verdict> {
    return signerPermission(this.#authz, a, 'approve');
  }
}
