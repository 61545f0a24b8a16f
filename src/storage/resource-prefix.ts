/**
 * Which resource a storage key belongs to, as far as the watch cache's history is concerned: the
 * key layout of api/registry/resource-def.ts (`/registry/<group|core>/<resource>/...` and
 * `/registry/_customresources/<group>/<resource>/...`), whose roots it takes from there (a module
 * without imports of its own; resource-prefix.test.ts checks the two agree).
 */
import { CUSTOM_RESOURCE_ROOT as CUSTOM, REGISTRY_ROOT as REGISTRY } from '../api/registry/resource-def.ts';

/** The bucket of every key outside the resource layout (tests' `/a/b` keys, internal keys). */
export const OTHER = '';

/**
 * The resource prefix `s` lies within: '/registry/core/pods/' for a pod's key or for a watch of
 * '/registry/core/pods/ns/'. OTHER when `s` is outside the resource layout altogether. Undefined
 * when `s` is a prefix that reaches into more than one resource ('', '/registry/',
 * '/registry/core/po'): a watch of it spans several histories.
 */
export function resourcePrefixOf(s: string): string | undefined {
  const end = resourcePrefixEnd(s);
  return end < 0 ? undefined : s.slice(0, end);
}

/** The length of resourcePrefixOf(s) (0 for OTHER, -1 for undefined), without making the string. */
export function resourcePrefixEnd(s: string): number {
  let root: string;
  if (s.startsWith(CUSTOM)) root = CUSTOM;
  else if (s.startsWith(REGISTRY)) root = REGISTRY;
  else return REGISTRY.startsWith(s) ? -1 : 0;
  const group = s.indexOf('/', root.length);
  if (group < 0) return -1;
  const resource = s.indexOf('/', group + 1);
  return resource < 0 ? -1 : resource + 1;
}

/**
 * The bucket a stored key's events go to. A key under /registry/ with fewer segments than a
 * resource prefix is no object key (parseObjectKey refuses it): it goes with the other keys,
 * and any watch that could see it spans several histories (resourcePrefixOf is undefined).
 */
export function bucketOfKey(key: string): string {
  return resourcePrefixOf(key) ?? OTHER;
}
