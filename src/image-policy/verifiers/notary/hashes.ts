import { createHash, timingSafeEqual } from 'node:crypto';
import { ImagePolicyError } from '../../errors.ts';
import type { FileMeta } from './metadata.ts';

/**
 * data.CheckHashes plus the length: every listed supported hash must match the bytes (at least
 * one is guaranteed by parsing), and the length must be the one signed. A mismatch means the
 * bytes are not the ones the signed parent vouched for.
 */
export function checkFileMeta(bytes: Buffer, meta: FileMeta, what: string): void {
  if (bytes.length !== meta.length) {
    throw new ImagePolicyError('SIGNATURE_INVALID', `${what}: ${bytes.length} bytes where the signed metadata says ${meta.length}`);
  }
  for (const [alg, want] of [['sha256', meta.sha256], ['sha512', meta.sha512]] as const) {
    if (want && !timingSafeEqual(createHash(alg).update(bytes).digest(), want)) {
      throw new ImagePolicyError('SIGNATURE_INVALID', `${what}: ${alg} checksum does not match the signed metadata`);
    }
  }
}

/** Whether the bytes carry every hash listed (at least one): data.CheckHashes without the length. */
export function hashesMatch(bytes: Buffer, meta: FileMeta | undefined): boolean {
  if (!meta || (!meta.sha256 && !meta.sha512)) return false;
  for (const [alg, want] of [['sha256', meta.sha256], ['sha512', meta.sha512]] as const) {
    if (want && !timingSafeEqual(createHash(alg).update(bytes).digest(), want)) return false;
  }
  return true;
}
