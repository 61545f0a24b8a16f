/**
 * certificates.k8s.io/v1 CertificateSigningRequest validation, as upstream's
 * pkg/apis/certificates/validation: the request must be a CSR signed by its own key; Approved,
 * Denied and Failed conditions may only be True and never removed; Approved and Denied change only
 * through /approval and status.certificate only through /status, once. Problems already present in
 * the stored object are tolerated on update, as upstream does for compatibility.
 */
import { X509Certificate } from 'node:crypto';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import { semanticEqual } from '../equality.ts';
import { duplicate, forbidden, GoValue, invalid, notSupported, path, required, tooLong, type FieldError } from '../field-errors.ts';
import { validateObjectMeta, validateObjectMetaUpdate, validatePathSegmentName } from '../meta.ts';
import { isDNS1123Label, isDNS1123Subdomain } from '../names.ts';
import { checkCsrSignature, CsrError, parseCsr } from './pkcs10.ts';

const USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign',
  'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime',
  'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
];
/** Sorted, as upstream's sets.List() names them in NotSupported messages. */
const USAGES_SORTED = [...USAGES].sort();
const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
/** Condition types that may only be True. */
const TRUE_ONLY_TYPES = new Set(['Approved', 'Denied', 'Failed']);
const ALL_STATUS_VALUES = ['False', 'True', 'Unknown'];
const DNS1123_SUBDOMAIN_MAX = 253;
const DNS1123_LABEL_MAX = 63;

type Csr = CertificateSigningRequest;
type Condition = NonNullable<NonNullable<Csr['status']>['conditions']>[number];

interface Options {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
  allowBothApprovedAndDenied: boolean;
  allowLegacySignerName: boolean;
  allowDuplicateConditionTypes: boolean;
  allowEmptyConditionType: boolean;
  allowArbitraryCertificate: boolean;
  allowUnknownUsages: boolean;
  allowDuplicateUsages: boolean;
}

const decodeBase64 = (v: unknown): Buffer => (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0));
const conditionsOf = (csr: Csr | undefined): Condition[] => (Array.isArray(csr?.status?.conditions) ? csr.status.conditions : []);

/** The parse or signature error of spec.request, as upstream's validateCSR. */
function requestError(request: unknown): string | undefined {
  try {
    checkCsrSignature(parseCsr(decodeBase64(request).toString('utf8')));
    return undefined;
  } catch (err) {
    if (err instanceof CsrError) return err.message;
    throw err;
  }
}

/** status.certificate: one or more CERTIFICATE PEM blocks without headers, each parseable. */
function certificateError(b64: unknown): string | undefined {
  const pem = decodeBase64(b64).toString('utf8');
  if (pem.length === 0) return undefined;
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  let blocks = 0;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    if (m[1] !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found "${m[1]}"`;
    if (/^[\w-]+:/m.test(m[2]!)) return 'no PEM block headers are permitted';
    blocks++;
    try {
      new X509Certificate(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
    } catch {
      return 'x509: malformed certificate';
    }
  }
  return blocks === 0 ? 'must contain at least one CERTIFICATE PEM block' : undefined;
}

function validateSignerName(signer: string): FieldError[] {
  const p = path('spec', 'signerName');
  if (!signer) return [required(p)];
  const segs = signer.split('/');
  if (segs.length !== 2) return [invalid(p, signer, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const errs: FieldError[] = [];
  const [domain, rest] = segs as [string, string];
  if (domain.length > DNS1123_SUBDOMAIN_MAX) errs.push(tooLong(p, '', DNS1123_SUBDOMAIN_MAX));
  // One message per segment: the first bad label only, as later ones would read the same.
  labelErrors(p, domain, isDNS1123Label, errs);
  if (domain.split('.').length < 2) errs.push(invalid(p, domain, 'should be a domain with at least two segments separated by dots'));
  labelErrors(p, rest, isDNS1123Subdomain, errs);
  // <fqdn>/<namespace>.<name>: a subdomain, a label, a subdomain and the two separators.
  const max = DNS1123_SUBDOMAIN_MAX + (DNS1123_SUBDOMAIN_MAX + DNS1123_LABEL_MAX + 1) + 1;
  if (signer.length > max) errs.push(tooLong(p, '', max));
  return errs;
}

function labelErrors(p: ReturnType<typeof path>, segment: string, check: (s: string) => string[], errs: FieldError[]): void {
  for (const lbl of segment.split('.')) {
    const msgs = check(lbl);
    if (msgs.length === 0) continue;
    for (const m of msgs) errs.push(invalid(p, segment, `validating label "${lbl}": ${m}`));
    return;
  }
}

function validateConditions(csr: Csr, opts: Options): FieldError[] {
  const errs: FieldError[] = [];
  const cp = path('status', 'conditions');
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditionsOf(csr).forEach((c, i) => {
    const type = String(c?.type ?? '');
    if (!opts.allowEmptyConditionType && type === '') errs.push(required(cp.index(i).child('type')));
    const allowed = TRUE_ONLY_TYPES.has(type) ? ['True'] : ALL_STATUS_VALUES;
    const status = c?.status ?? '';
    if (status === '') errs.push(required(cp.index(i).child('status')));
    else if (!allowed.includes(status)) errs.push(notSupported(cp.index(i).child('status'), status, allowed));
    if (!opts.allowBothApprovedAndDenied) {
      if (type === 'Approved') {
        approved = true;
        if (denied) errs.push(invalid(cp.index(i).child('type'), type, 'Approved and Denied conditions are mutually exclusive'));
      } else if (type === 'Denied') {
        denied = true;
        if (approved) errs.push(invalid(cp.index(i).child('type'), type, 'Approved and Denied conditions are mutually exclusive'));
      }
    }
    if (!opts.allowDuplicateConditionTypes) {
      if (seen.has(type)) errs.push(duplicate(cp.index(i).child('type'), type));
      seen.add(type);
    }
  });
  return errs;
}

function validate(csr: Csr, opts: Options): FieldError[] {
  // Upstream does not constrain CSR names; we still keep them to one safe URL path segment.
  const errs = validateObjectMeta(csr.metadata, { namespaced: false, nameFn: validatePathSegmentName });
  const sp = path('spec');
  const spec = csr.spec;
  const reqErr = requestError(spec?.request);
  if (reqErr) errs.push(invalid(sp.child('request'), new GoValue('[]byte{...}'), reqErr));
  const usages = Array.isArray(spec?.usages) ? spec.usages : [];
  if (usages.length === 0) errs.push(required(sp.child('usages')));
  if (!opts.allowUnknownUsages) {
    usages.forEach((u, i) => {
      if (!USAGES.includes(u)) errs.push(notSupported(sp.child('usages').index(i), u, USAGES_SORTED));
    });
  }
  if (!opts.allowDuplicateUsages) {
    const seen = new Set<string>();
    usages.forEach((u, i) => {
      if (seen.has(u)) errs.push(duplicate(sp.child('usages').index(i), u));
      seen.add(u);
    });
  }
  const signer = spec?.signerName ?? '';
  if (!opts.allowLegacySignerName && signer === LEGACY_UNKNOWN_SIGNER) {
    errs.push(invalid(sp.child('signerName'), signer, 'the legacy signerName is not allowed via this API version'));
  } else {
    errs.push(...validateSignerName(signer));
  }
  const exp = spec?.expirationSeconds;
  if (exp !== undefined && exp !== null && exp < 600) {
    errs.push(invalid(sp.child('expirationSeconds'), exp, 'may not specify a duration less than 600 seconds (10 minutes)'));
  }
  errs.push(...validateConditions(csr, opts));
  if (!opts.allowArbitraryCertificate) {
    const certErr = certificateError(csr.status?.certificate);
    if (certErr) errs.push(invalid(path('status', 'certificate'), '<certificate data>', certErr));
  }
  return errs;
}

/** Upstream's getValidationOptions: tolerate on update what the stored object already has wrong. */
function optionsFor(csr: Csr, old: Csr | undefined): Options {
  const oldConds = conditionsOf(old);
  const oldTypes = oldConds.map((c) => String(c?.type ?? ''));
  const oldUsages = Array.isArray(old?.spec?.usages) ? old.spec.usages : [];
  const oldCert = old?.status?.certificate ?? '';
  return {
    allowSettingApprovalConditions: false,
    allowSettingCertificate: false,
    allowBothApprovedAndDenied: !!old && oldTypes.includes('Approved') && oldTypes.includes('Denied'),
    allowLegacySignerName: old?.spec?.signerName === LEGACY_UNKNOWN_SIGNER,
    allowDuplicateConditionTypes: !!old && new Set(oldTypes).size !== oldTypes.length,
    allowEmptyConditionType: !!old && oldTypes.includes(''),
    allowArbitraryCertificate: !!old && ((csr.status?.certificate ?? '') === oldCert || certificateError(oldCert) !== undefined),
    allowUnknownUsages: oldUsages.some((u) => !USAGES.includes(u)),
    allowDuplicateUsages: new Set(oldUsages).size !== oldUsages.length,
  };
}

export function validateCertificateSigningRequest(csr: Csr): FieldError[] {
  return validate(csr, optionsFor(csr, undefined));
}

/**
 * An update through the main resource (nothing but metadata may change), /status (may set
 * status.certificate once) or /approval (may add or change Approved and Denied conditions).
 */
export function validateCertificateSigningRequestUpdate(csr: Csr, old: Csr, subresource = ''): FieldError[] {
  const opts = optionsFor(csr, old);
  if (subresource === 'status') opts.allowSettingCertificate = true;
  if (subresource === 'approval') opts.allowSettingApprovalConditions = true;
  const errs = validate(csr, opts);
  const cp = path('status', 'conditions');
  const find = (o: Csr, t: string) => conditionsOf(o).filter((c) => c?.type === t);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (find(csr, t).length < find(old, t).length) errs.push(forbidden(cp, `updates may not remove a condition of type "${t}"`));
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of ['Approved', 'Denied']) {
      const before = find(old, t);
      const after = find(csr, t);
      if (after.length > before.length) errs.push(forbidden(cp, `updates may not add a condition of type "${t}"`));
      else if (after.length === before.length && !semanticEqual(before, after)) errs.push(forbidden(cp, `updates may not modify a condition of type "${t}"`));
    }
  }
  const cert = csr.status?.certificate ?? '';
  const oldCert = old.status?.certificate ?? '';
  if (cert !== oldCert) {
    if (!opts.allowSettingCertificate) errs.push(forbidden(path('status', 'certificate'), 'updates may not set certificate content'));
    else if (oldCert !== '') errs.push(forbidden(path('status', 'certificate'), 'updates may not modify existing certificate content'));
  }
  errs.push(...validateObjectMetaUpdate(csr.metadata, old.metadata));
  return errs;
}
