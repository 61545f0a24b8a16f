/**
 * The kubelet's imagePullCredentialsVerificationPolicy (KEP-2535, pkg/kubelet/images/pullmanager
 * image_pull_policies.go): whether an image already on the node must have the requesting pod's
 * credentials checked against the registry before the pod may use it.
 *   NeverVerify                   anyone on the node may use any image on it (before KEP-2535)
 *   NeverVerifyPreloadedImages    (default) images the agent never pulled (imported, or there
 *                                 before the agent kept records) need no check
 *   NeverVerifyAllowlistedImages  only images named by preloadedImagesVerificationAllowlist need
 *                                 no check, whoever pulled them
 *   AlwaysVerify                  every image is checked
 */
import { parseDockerRef } from '../../../image-policy/reference.ts';

export const PULL_CREDENTIAL_POLICIES = ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify'] as const;
export type PullCredentialPolicy = (typeof PULL_CREDENTIAL_POLICIES)[number];
export const DEFAULT_PULL_CREDENTIAL_POLICY: PullCredentialPolicy = 'NeverVerifyPreloadedImages';

/** True when the policy asks for the pod's credentials to be verified before it uses the image. */
export type PullPolicyEnforcer = (image: string, pulledByAgent: boolean) => boolean;

/**
 * One allowlist entry as upstream's getAllowlistImagePattern reads it: an image name without tag
 * or digest (as distribution/reference normalises it: `docker.io/library/nginx`, not `nginx`), or a
 * prefix ending in a whole path segment `/*` (`registry.example/*`, `registry.example/org/*`).
 */
function allowlistPattern(pattern: string): { value: string; wildcard: boolean } {
  if (pattern !== pattern.trim()) throw new Error(`leading/trailing spaces are not allowed: ${pattern}`);
  const wildcard = pattern.endsWith('/*');
  const trimmed = wildcard ? pattern.slice(0, -1) : pattern;
  if (trimmed.length === 0) throw new Error(`the supplied pattern is too short: ${pattern}`);
  if (trimmed.includes('*')) throw new Error(`not a valid wildcard pattern, only patterns ending with '/*' are allowed: ${pattern}`);
  if (wildcard) {
    if (trimmed.length === 1) throw new Error('at least registry hostname is required');
    return { value: trimmed, wildcard };
  }
  let name: string;
  try {
    const r = parseDockerRef(trimmed);
    name = `${r.domain}/${r.path}`;
  } catch (err) {
    throw new Error(`failed to parse as an image name: ${(err as Error).message}`);
  }
  if (name !== trimmed) throw new Error(`neither tag nor digest is accepted in an image reference: ${pattern}`);
  return { value: trimmed, wildcard };
}

/** The image's name without tag or digest, as the pulled records key it (upstream's trimImageTagDigest); undefined when it does not parse. */
export function imageName(image: string): string | undefined {
  try {
    const r = parseDockerRef(image);
    return `${r.domain}/${r.path}`;
  } catch {
    return undefined;
  }
}

/** The policy's enforcer; an unknown policy or a bad allowlist entry is refused (the agent does not start). */
export function pullPolicyEnforcer(policy: string, allowlist: readonly string[] = []): PullPolicyEnforcer {
  switch (policy) {
    case 'NeverVerify':
      return () => false;
    case 'NeverVerifyPreloadedImages':
      return (_image, pulledByAgent) => pulledByAgent;
    case 'AlwaysVerify':
      return () => true;
    case 'NeverVerifyAllowlistedImages': {
      const exact = new Set<string>();
      const prefixes: string[] = [];
      for (const p of allowlist) {
        const { value, wildcard } = allowlistPattern(p);
        if (wildcard) prefixes.push(value);
        else exact.add(value);
      }
      // Matched on the name without tag or digest: upstream compares the container's image field
      // as written, so `test.io/img:v1` missed an allowlisted `test.io/img`; the KEP's finest
      // granularity is the image name.
      return (image) => {
        const name = imageName(image);
        return name === undefined || !(exact.has(name) || prefixes.some((p) => name.startsWith(p)));
      };
    }
    default:
      throw new Error(`unknown image pull credential verification policy: ${policy} (one of ${PULL_CREDENTIAL_POLICIES.join(', ')})`);
  }
}
