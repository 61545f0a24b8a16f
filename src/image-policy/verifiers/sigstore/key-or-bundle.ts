/**
 * What a key vouches for, in either of cosign's forms: the legacy `sha256-<hex>.sig` signature
 * image first, and when there is none, key-signed Sigstore bundles attached as referrers (newer
 * cosign's default), verified offline as the legacy form is (no log; see bundle-verify.ts).
 * Admission's key authorities and `portcullis image verify` both go through here.
 */
import type { KeyObject } from 'node:crypto';
import { ImagePolicyError, isImagePolicyError } from '../../errors.ts';
import { referenceString, type ImageReference } from '../../reference.ts';
import type { LookupOptions, RegistryClient } from '../../registry/client.ts';
import { verifyCosignKey } from '../cosign-key.ts';
import { verifyKeyless } from './keyless-authority.ts';
import { keysOnlyTrust } from './trusted-root.ts';

export async function verifyKeyOrBundle(client: RegistryClient, ref: ImageReference, keys: readonly KeyObject[], o: LookupOptions = {}): Promise<{ digest: string; checks: string[] }> {
  const digest = ref.digest ?? (await client.resolve(ref, o)).digest;
  const pinned = { domain: ref.domain, path: ref.path, digest };
  try {
    const r = await verifyCosignKey(client, pinned, keys, o);
    return { digest, checks: r.checks };
  } catch (err) {
    if (!isImagePolicyError(err, 'UNSIGNED')) throw err;
    try {
      const r = await verifyKeyless(client, pinned, digest, { trust: keysOnlyTrust(), identities: [], attestations: [], keys }, o);
      return { digest, checks: [`${referenceString(ref)} is ${digest}`, ...r.checks] };
    } catch (e) {
      if (!isImagePolicyError(e, 'UNSIGNED')) throw e;
      const prefix = `${referenceString(pinned)}: `;
      throw new ImagePolicyError('UNSIGNED', `${err.message}, and ${e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message}`);
    }
  }
}
