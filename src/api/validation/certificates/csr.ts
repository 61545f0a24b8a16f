/** certificates.k8s.io/v1 CertificateSigningRequest validation. */
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import { duplicate, GoValue, invalid, notSupported, path, required, type FieldError } from '../field-errors.ts';
import { validateObjectMeta, validatePathSegmentName } from '../meta.ts';
import { isDNS1123Subdomain } from '../names.ts';

const USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign',
  'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime',
  'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
];

/** spec.request is base64 PEM in JSON; it must hold a CERTIFICATE REQUEST block. */
function requestError(request: unknown): string | undefined {
  const pem = typeof request === 'string' ? Buffer.from(request, 'base64').toString('utf8') : '';
  const m = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/.exec(pem);
  return m && m[1] === 'CERTIFICATE REQUEST' ? undefined : 'PEM block type must be CERTIFICATE REQUEST';
}

export function validateCertificateSigningRequest(csr: CertificateSigningRequest): FieldError[] {
  // Upstream does not constrain CSR names; we still keep them to one safe URL path segment.
  const errs = validateObjectMeta(csr.metadata, { namespaced: false, nameFn: validatePathSegmentName });
  const sp = path('spec');
  const spec = csr.spec;
  const err = requestError(spec?.request);
  if (err) errs.push(invalid(sp.child('request'), new GoValue('[]byte{...}'), err));
  const signer = spec?.signerName ?? '';
  if (!signer) {
    errs.push(required(sp.child('signerName')));
  } else {
    const segs = signer.split('/');
    if (segs.length !== 2) {
      errs.push(invalid(sp.child('signerName'), signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
    } else {
      for (const m of isDNS1123Subdomain(segs[0] ?? '')) errs.push(invalid(sp.child('signerName'), signer, m));
      if (!(segs[0] ?? '').includes('.')) errs.push(invalid(sp.child('signerName'), signer, 'should be a domain with at least two segments separated by dots'));
      if (!segs[1]) errs.push(invalid(sp.child('signerName'), signer, 'validating path: path must not be empty'));
    }
  }
  const usages = spec?.usages ?? [];
  if (usages.length === 0) errs.push(required(sp.child('usages')));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    const up = sp.child('usages').index(i);
    if (!USAGES.includes(u)) errs.push(notSupported(up, u, USAGES));
    if (seen.has(u)) errs.push(duplicate(up, u));
    seen.add(u);
  });
  const exp = spec?.expirationSeconds;
  if (exp !== undefined && exp !== null && exp < 600) {
    errs.push(invalid(sp.child('expirationSeconds'), exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  return errs;
}
