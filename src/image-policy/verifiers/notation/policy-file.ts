/**
 * Notation's own configuration files for `portcullis image verify --notation`: a trustpolicy.json
 * (version 1.0, trustPolicies) and trust stores given as TYPE:NAME=PEM-FILE (notation keeps them
 * as directories of certificates under trust-store/x509/TYPE/NAME), compiled with the same rules
 * as a ClusterImagePolicy's notation authority.
 */
import { errorString, path, type FieldError } from '../../../api/validation/field-errors.ts';
import { compileNotation, type CompiledNotation } from './trust-policy.ts';

export interface TrustStoreFile {
  type: string;
  name: string;
  certificates: string;
}

/** `ca:acme=/path/root.pem` → its parts; the file is read by the caller. */
export function parseTrustStoreFlag(v: string): { type: string; name: string; file: string } {
  const m = /^([A-Za-z]+):([^=]+)=(.+)$/.exec(v);
  if (!m) throw new Error(`--trust-store ${JSON.stringify(v)}: want TYPE:NAME=PEM-FILE (e.g. ca:acme=root.pem)`);
  return { type: m[1]!, name: m[2]!, file: m[3]! };
}

export function loadNotationPolicy(trustPolicyJson: string, stores: readonly TrustStoreFile[]): CompiledNotation {
  let doc: { version?: unknown; trustPolicies?: unknown };
  try {
    doc = JSON.parse(trustPolicyJson);
  } catch (err) {
    throw new Error(`trust policy: not JSON: ${(err as Error).message}`);
  }
  if (doc?.version !== '1.0') throw new Error(`trust policy: version must be "1.0", got ${JSON.stringify(doc?.version)}`);
  const errs: FieldError[] = [];
  const compiled = compileNotation({ trustStores: stores, trustPolicies: doc.trustPolicies }, path(''), errs);
  if (errs.length > 0) throw new Error(`trust policy is invalid: ${errs.map((e) => errorString(e).replace(/^\./, '')).join('; ')}`);
  return compiled;
}
