/**
 * Event between events.k8s.io/v1 and core/v1 (the stored form), after upstream's
 * pkg/apis/events/v1/conversion.go: the same object under other field names.
 */

type Obj = Record<string, any>;

/** events.k8s.io/v1 field -> core/v1 field; the others keep their names. */
const RENAMES: ReadonlyArray<[string, string]> = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

/** The same object under the other names: the kept members in their order, then the renamed ones in RENAMES order. */
function rename(o: Obj, pairs: ReadonlyArray<[string, string]>, renamed: ReadonlySet<string>, apiVersion: string): Obj {
  // Built member by member rather than copied and then trimmed with delete, which leaves a slow
  // dictionary-mode object on every Event written or read through events.k8s.io (the scheduler's).
  const out: Obj = {};
  for (const k of Object.keys(o)) {
    if (renamed.has(k)) continue;
    // A member named __proto__ (JSON can have one) stays a member, as the spread it replaces kept it.
    if (k === '__proto__') Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
    else out[k] = k === 'apiVersion' ? apiVersion : o[k];
  }
  if (!Object.hasOwn(o, 'apiVersion')) out.apiVersion = apiVersion;
  for (const [from, to] of pairs) if (Object.hasOwn(o, from)) out[to] = o[from];
  return out;
}

const TO_CORE = RENAMES;
const TO_V1: ReadonlyArray<[string, string]> = RENAMES.map(([a, b]) => [b, a]);
const V1_NAMES: ReadonlySet<string> = new Set(RENAMES.map(([a]) => a));
const CORE_NAMES: ReadonlySet<string> = new Set(RENAMES.map(([, b]) => b));

export function eventV1ToCore(o: Obj): Obj & { metadata: Obj } {
  return rename(o, TO_CORE, V1_NAMES, 'v1') as Obj & { metadata: Obj };
}

export function eventCoreToV1(o: Obj): Obj & { metadata: Obj } {
  return rename(o, TO_V1, CORE_NAMES, 'events.k8s.io/v1') as Obj & { metadata: Obj };
}

/**
 * events.k8s.io/v1's field selectors, under their v1 names (AddFieldLabelConversionsForEvent).
 * Lists match selectors against the stored (core) form, watches against the v1 form: both are read.
 */
export function eventV1Fields(o: Obj): Record<string, string> {
  const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
  const r = o.regarding ?? o.involvedObject ?? {};
  return {
    reason: s(o.reason),
    'regarding.kind': s(r.kind),
    'regarding.namespace': s(r.namespace),
    'regarding.name': s(r.name),
    'regarding.uid': s(r.uid),
    'regarding.apiVersion': s(r.apiVersion),
    'regarding.resourceVersion': s(r.resourceVersion),
    'regarding.fieldPath': s(r.fieldPath),
    reportingController: s(o.reportingController ?? o.reportingComponent),
    type: s(o.type),
  };
}
