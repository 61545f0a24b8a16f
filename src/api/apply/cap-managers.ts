/**
 * Upstream keeps at most 10 Update entries (DefaultMaxUpdateManagers): the oldest are folded,
 * per API version, into one "ancient-changes" entry, so a busy object's managedFields stay small.
 */
import { union } from './field-set.ts';
import { managerIdentity, timeSeconds, type Managers } from './managed-fields.ts';

export const MAX_UPDATE_MANAGERS = 10;
export const ANCIENT_CHANGES_MANAGER = 'ancient-changes';

export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): Managers {
  const updaters = [...managers].filter(([, m]) => m.operation === 'Update').map(([id]) => id);
  if (updaters.length <= max) return managers;
  const out: Managers = new Map(managers);
  updaters.sort((a, b) => {
    const d = timeSeconds(managers.get(a)?.time) - timeSeconds(managers.get(b)?.time);
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i] as string;
    const m = out.get(id);
    if (!m) continue;
    const bucketId = managerIdentity({
      manager: ANCIENT_CHANGES_MANAGER,
      operation: 'Update',
      apiVersion: m.apiVersion,
      subresource: '',
    });
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, id);
      continue;
    }
    if (!out.has(bucketId)) {
      const f = out.get(first);
      out.delete(first);
      if (f) out.set(bucketId, { ...f, manager: ANCIENT_CHANGES_MANAGER, subresource: '' });
    }
    const bucket = out.get(bucketId);
    const merged = { ...m, manager: ANCIENT_CHANGES_MANAGER, subresource: '', set: bucket ? union(m.set, bucket.set) : m.set };
    // The bucket takes the time of the newest update folded into it.
    if (m.time === undefined) delete merged.time;
    out.delete(id);
    out.set(bucketId, merged);
    length--;
  }
  return out;
}
