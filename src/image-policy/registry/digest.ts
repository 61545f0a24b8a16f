/**
 * Content digests: every body fetched from a registry is hashed and compared with the digest it
 * was asked for (or announced with) before anything believes it.
 */
import { createHash } from 'node:crypto';
import { ImagePolicyError } from '../errors.ts';
import { parseDigest } from '../reference.ts';

/** The node:crypto name of a digest's algorithm (sha256, sha384, sha512 only). */
export function digestAlgorithm(digest: string): string {
  parseDigest(digest);
  return digest.slice(0, digest.indexOf(':'));
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The digest of `data` under the algorithm of `expected`. */
export function digestOf(data: Uint8Array, expected: string): string {
  const alg = digestAlgorithm(expected);
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}

/** Throws DIGEST_MISMATCH unless `data` hashes to `expected`. */
export function verifyDigest(data: Uint8Array, expected: string, what: string): void {
  const got = digestOf(data, expected);
  if (got !== expected) throw new ImagePolicyError('DIGEST_MISMATCH', `${what}: content hashes to ${got}, expected ${expected}`);
}
