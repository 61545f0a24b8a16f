import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { StoredObject } from '../../storage/types.ts';
import { toApiObject, type K8sObject } from './objects.ts';
import { RecentEncodings } from '../recent-encodings.ts';

interface Cached {
  /**
   * The definition the text was made for: its group/version, and for a custom resource the CRD
   * schema its read-time defaults and pruning came from (a changed CRD is a new definition).
   */
  def: ResourceDef;
  rv: number;
  json: string;
}

/**
 * The JSON of a stored object as the API shows it. The watch cache hands out frozen values, one
 * per revision, so the text can be kept beside the value: a GET, a list and a hundred watchers
 * of the same revision serialise it once. Only for the most recent 8,192 values / 32 MiB
 * (recent-encodings.ts): kept for every object in memory, the texts were as large as the objects.
 */
const cache = new RecentEncodings<Cached>(8192, 32 * 1024 * 1024);

export function apiObjectJson(def: ResourceDef, s: StoredObject<K8sObject>): string {
  return encoded(def, s, undefined);
}

/**
 * A write's answer: the API object and its JSON, kept as apiObjectJson keeps it for the watchers
 * of that revision. The object is made once (a converted resource, an Event served as
 * events.k8s.io/v1, is converted once rather than for the body and again for the text).
 */
export function apiObjectAnswer(def: ResourceDef, s: StoredObject<K8sObject>): { body: K8sObject; raw: string } {
  const body = toApiObject(def, s);
  return { body, raw: encoded(def, s, body) };
}

function encoded(def: ResourceDef, s: StoredObject<K8sObject>, apiObject: K8sObject | undefined): string {
  const v = s.value;
  // Strings are frozen too, and cannot key a WeakMap: only objects are cached.
  const frozen = typeof v === 'object' && v !== null && Object.isFrozen(v);
  if (frozen) {
    const hit = cache.get(v);
    if (hit && hit.def === def && hit.rv === s.modRevision) return hit.json;
  }
  const json = JSON.stringify(apiObject ?? toApiObject(def, s));
  if (frozen) cache.set(v, { def, rv: s.modRevision, json }, json.length);
  return json;
}
