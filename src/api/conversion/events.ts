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

function rename(o: Obj, pairs: ReadonlyArray<[string, string]>, apiVersion: string): Obj {
  const out: Obj = { ...o, apiVersion };
  for (const [from, to] of pairs) {
    delete out[from];
    if (Object.hasOwn(o, from)) out[to] = o[from];
  }
  return out;
}

export function eventV1ToCore(o: Obj): Obj & { metadata: Obj } {
  return rename(o, RENAMES, 'v1') as Obj & { metadata: Obj };
}

export function eventCoreToV1(o: Obj): Obj & { metadata: Obj } {
  return rename(o, RENAMES.map(([a, b]) => [b, a] as [string, string]), 'events.k8s.io/v1') as Obj & { metadata: Obj };
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
