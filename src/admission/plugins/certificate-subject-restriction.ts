import { CsrError, parseCsr } from '../../api/validation/certificates/pkcs10.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { isCsrRequest, signerNameOf } from './certificate-signer-authz.ts';

const KUBE_APISERVER_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client';

/**
 * CertificateSubjectRestriction (upstream plugin/pkg/admission/certificates/subjectrestriction):
 * a request to the API server's client signer may not ask for organization system:masters, the
 * group that bypasses every authorizer. Approving such a request by mistake would mint a
 * cluster-admin credential that cannot be revoked.
 */
export class CertificateSubjectRestriction implements ValidatingPlugin {
  readonly name = 'CertificateSubjectRestriction';

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && isCsrRequest(a, '');
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (signerNameOf(a.object) !== KUBE_APISERVER_CLIENT_SIGNER) return { allowed: true };
    const request = a.object?.spec?.request;
    let organizations: string[];
    try {
      organizations = parseCsr(Buffer.from(typeof request === 'string' ? request : '', 'base64').toString('utf8')).organizations;
    } catch (err) {
      if (!(err instanceof CsrError)) throw err;
      return { allowed: false, reason: `failed to parse CSR: ${err.message}` };
    }
    if (organizations.includes('system:masters')) {
      return { allowed: false, reason: `use of ${KUBE_APISERVER_CLIENT_SIGNER} signer with system:masters group is not allowed` };
    }
    return { allowed: true };
  }
}
