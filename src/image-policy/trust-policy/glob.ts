/**
 * Image globs of a trust policy, as sigstore policy-controller's `spec.images[].glob`: `*` is any
 * run of characters other than `/`, `**` any run at all; the glob must match the whole name.
 * Matched against the fully qualified name (index.docker.io/library/busybox:latest, or
 * repo@sha256:… for a digest reference), then, for policy-controller's compatibility, against
 * the name as written in the pod. `*` alone means index.docker.io/library/* and `*` + `/` + `*`
 * index.docker.io/*\/* (policy-controller's upgrades of unqualified globs).
 */
import { parseNormalizedNamed, type ImageReference } from '../reference.ts';

/** policy-controller's validGlob: nothing that could be read as a regular expression. */
export const GLOB_PATTERN = '^[a-zA-Z0-9\\-_:/*.]+$';
const VALID = new RegExp(GLOB_PATTERN);
export const MAX_GLOB_LENGTH = 512;

export function compileGlob(glob: string): RegExp {
  let g = glob;
  if (g === '*/*') g = 'index.docker.io/*/*';
  if (g === '*') g = 'index.docker.io/library/*';
  if (g.length > MAX_GLOB_LENGTH || !VALID.test(g)) throw new Error(`invalid glob ${JSON.stringify(glob)}: only letters, digits and - _ : / * . are allowed`);
  const body = g
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.\-]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** go-containerregistry's Name(): the registry as index.docker.io, the tag defaulted to latest. */
export function qualifiedName(ref: ImageReference): string {
  const domain = ref.domain === 'docker.io' ? 'index.docker.io' : ref.domain;
  const repo = `${domain}/${ref.path}`;
  if (ref.digest !== undefined) return `${repo}@${ref.digest}`;
  return `${repo}:${ref.tag ?? 'latest'}`;
}

/** Whether an image (as written in the pod, already known to parse) matches a compiled glob. */
export function globMatches(re: RegExp, image: string, ref: ImageReference = parseNormalizedNamed(image)): boolean {
  const name = qualifiedName(ref);
  return re.test(name) || (name !== image && re.test(image));
}
