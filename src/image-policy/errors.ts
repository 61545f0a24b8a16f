/**
 * The reason codes of image verification (issue 15): every denial names one, in the Status message
 * and in the admission record, so a failure is explained by a fixed word rather than by free text.
 * Only the admission plugin turns these into HTTP answers.
 */
export const REASON_CODES = [
  'REGISTRY_UNAVAILABLE',
  'IMAGE_NOT_FOUND',
  'DIGEST_MISMATCH',
  'UNSIGNED',
  'UNTRUSTED_KEY',
  'SIGNATURE_INVALID',
  'SUBJECT_MISMATCH',
  'METADATA_EXPIRED',
  'ROLLBACK',
  'ATTESTATION_FAILED',
  'NO_POLICY',
  'OVERSIZE',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export class ImagePolicyError extends Error {
  readonly code: ReasonCode;
  constructor(code: ReasonCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImagePolicyError';
    this.code = code;
  }
}

export function isImagePolicyError(err: unknown, code?: ReasonCode): err is ImagePolicyError {
  return err instanceof ImagePolicyError && (code === undefined || err.code === code);
}
