/**
 * The node agent's image flags, read and checked before the agent joins (a bad value is refused
 * by name, never ignored):
 *   --image-pull-credentials-verification-policy  the kubelet's imagePullCredentialsVerificationPolicy
 *                                                 (NeverVerifyPreloadedImages by default; KEP-2535)
 *   --preloaded-images-verification-allowlist     preloadedImagesVerificationAllowlist (comma list;
 *                                                 only with NeverVerifyAllowlistedImages)
 *   --image-max-layers                            layers per image (125, Docker's maxLayerDepth)
 *   --image-max-uncompressed-size                 uncompressed bytes per image, a quantity (32Gi)
 */
import { cmpQty, parseQty, qtyFromInt, qtyValue } from '../../../api/quantity.ts';
import { commaList, flag, invalidFlag, type ParsedArgs } from '../../../cli/args.ts';
import type { ImageStoreOptions } from './image-store.ts';
import { DEFAULT_PULL_CREDENTIAL_POLICY, pullPolicyEnforcer } from './image-pull-policy.ts';
import { DEFAULT_IMAGE_LIMITS, imageLimits } from './layer-decompress.ts';

export const IMAGE_FLAGS = ['image-pull-credentials-verification-policy', 'preloaded-images-verification-allowlist', 'image-max-layers', 'image-max-uncompressed-size'] as const;

export type ImageFlagOptions = Pick<ImageStoreOptions, 'limits' | 'pullCredentials'>;

export function imageFlagOptions(args: ParsedArgs): ImageFlagOptions {
  const policy = flag(args, 'image-pull-credentials-verification-policy', DEFAULT_PULL_CREDENTIAL_POLICY);
  const allowlist = commaList(args, 'preloaded-images-verification-allowlist');
  try {
    pullPolicyEnforcer(policy);
  } catch (err) {
    throw invalidFlag('image-pull-credentials-verification-policy', policy, (err as Error).message);
  }
  // An allowlist another policy would ignore is refused rather than silently not enforced.
  if (allowlist.length && policy !== 'NeverVerifyAllowlistedImages') {
    throw invalidFlag('preloaded-images-verification-allowlist', allowlist.join(','), `only used with --image-pull-credentials-verification-policy=NeverVerifyAllowlistedImages, not ${policy}`);
  }
  try {
    pullPolicyEnforcer(policy, allowlist);
  } catch (err) {
    throw invalidFlag('preloaded-images-verification-allowlist', allowlist.join(','), (err as Error).message);
  }
  const layersText = flag(args, 'image-max-layers', String(DEFAULT_IMAGE_LIMITS.maxLayers));
  const maxLayers = /^[0-9]+$/.test(layersText) ? Number(layersText) : NaN;
  if (!Number.isSafeInteger(maxLayers) || maxLayers < 1) throw invalidFlag('image-max-layers', layersText, 'must be a positive integer');
  const sizeText = flag(args, 'image-max-uncompressed-size', '32Gi');
  const q = parseQty(sizeText);
  const bytes = q && q.nanos > 0n && cmpQty(qtyFromInt(qtyValue(q)), q) === 0 ? Number(qtyValue(q)) : NaN;
  if (!Number.isSafeInteger(bytes)) throw invalidFlag('image-max-uncompressed-size', sizeText, 'must be a positive whole number of bytes (a quantity such as 32Gi)');
  const limits = imageLimits({ maxLayers, maxUncompressedBytes: bytes });
  return { limits, pullCredentials: { policy, allowlist } };
}
