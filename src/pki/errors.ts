/**
 * Typed PKI errors. Startup code reports these to the operator; the file path is carried so the
 * message points at the exact file to repair or delete.
 */

export type PkiErrorCode =
  | 'InvalidOptions' // a caller passed a value we refuse to put into a certificate
  | 'CorruptPem' // a file exists but does not hold a parseable PEM of the expected kind
  | 'KeyMismatch' // a private key does not belong to the certificate next to it
  | 'NotSignedByCa' // a leaf certificate on disk was not issued by the CA on disk
  | 'MissingCa' // the CA is gone (or half gone) while material that depends on it remains
  | 'CaExpired'; // the CA on disk is past notAfter; replacing it is an operator decision

export class PkiError extends Error {
  readonly code: PkiErrorCode;
  readonly path?: string;
  constructor(code: PkiErrorCode, message: string, path?: string) {
    super(message);
    this.name = 'PkiError';
    this.code = code;
    this.path = path;
  }
}
