/**
 * metav1.ObjectMeta as Go's %#v prints it in a field error's value (upstream's access reviews
 * report a non-empty metadata that way), and the emptiness test they apply to it
 * (apiequality.Semantic.DeepEqual with metav1.ObjectMeta{}: nil and empty maps and slices are equal).
 * Pointers print their value where Go prints an address (goStruct's convention); a time prints as
 * time.Time's GoString, in time.Local for a decoded one (metav1.Time's UnmarshalJSON makes it Local;
 * this server runs in UTC).
 */
import { goQuote, goStringMap, GoValue } from './field-errors.ts';

type Obj = Record<string, any>;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** time.Time's GoString of an RFC 3339 text (what the JSON decoder accepts); '' or null is the zero time. */
function goTime(v: unknown): string {
  if (typeof v !== 'string' || v === '') return 'time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return goQuote(v);
  const nanos = /\.(\d{1,9})/.exec(v)?.[1]?.padEnd(9, '0') ?? '0';
  return `time.Date(${d.getUTCFullYear()}, time.${MONTHS[d.getUTCMonth()]}, ${d.getUTCDate()}, ${d.getUTCHours()}, ${d.getUTCMinutes()}, ${d.getUTCSeconds()}, ${Number(nanos)}, time.Local)`;
}

function goStrings(v: unknown): string {
  if (!Array.isArray(v)) return '[]string(nil)';
  return `[]string{${v.map((s) => goQuote(String(s))).join(', ')}}`;
}

function goPtr(type: string, v: unknown): string {
  return v === undefined || v === null ? `(${type})(nil)` : `(${type})(${String(v)})`;
}

function goOwnerReferences(v: unknown): string {
  if (!Array.isArray(v)) return '[]v1.OwnerReference(nil)';
  const one = (r: Obj) =>
    `v1.OwnerReference{APIVersion:${goQuote(String(r?.apiVersion ?? ''))}, Kind:${goQuote(String(r?.kind ?? ''))}, Name:${goQuote(String(r?.name ?? ''))}, UID:${goQuote(String(r?.uid ?? ''))}, Controller:${goPtr('*bool', r?.controller)}, BlockOwnerDeletion:${goPtr('*bool', r?.blockOwnerDeletion)}}`;
  return `[]v1.OwnerReference{${v.map(one).join(', ')}}`;
}

function goManagedFields(v: unknown): string {
  if (!Array.isArray(v)) return '[]v1.ManagedFieldsEntry(nil)';
  const one = (e: Obj) =>
    `v1.ManagedFieldsEntry{Manager:${goQuote(String(e?.manager ?? ''))}, Operation:${goQuote(String(e?.operation ?? ''))}, APIVersion:${goQuote(String(e?.apiVersion ?? ''))}, Time:${e?.time ? goTime(e.time) : '<nil>'}, FieldsType:${goQuote(String(e?.fieldsType ?? ''))}, FieldsV1:${e?.fieldsV1 ? '(*v1.FieldsV1)(…)' : '(*v1.FieldsV1)(nil)'}, Subresource:${goQuote(String(e?.subresource ?? ''))}}`;
  return `[]v1.ManagedFieldsEntry{${v.map(one).join(', ')}}`;
}

export function goObjectMeta(meta: Obj | undefined | null): GoValue {
  const m = meta ?? {};
  const s = (k: string) => goQuote(String(m[k] ?? ''));
  const labels = m.labels && typeof m.labels === 'object' ? goStringMap(m.labels) : 'map[string]string(nil)';
  const annotations = m.annotations && typeof m.annotations === 'object' ? goStringMap(m.annotations) : 'map[string]string(nil)';
  return new GoValue(
    `v1.ObjectMeta{Name:${s('name')}, GenerateName:${s('generateName')}, Namespace:${s('namespace')}, SelfLink:${s('selfLink')}, UID:${s('uid')}, ResourceVersion:${s('resourceVersion')}, ` +
      `Generation:${Number(m.generation ?? 0)}, CreationTimestamp:${goTime(m.creationTimestamp)}, DeletionTimestamp:${m.deletionTimestamp ? goTime(m.deletionTimestamp) : '<nil>'}, ` +
      `DeletionGracePeriodSeconds:${goPtr('*int64', m.deletionGracePeriodSeconds)}, Labels:${labels}, Annotations:${annotations}, OwnerReferences:${goOwnerReferences(m.ownerReferences)}, ` +
      `Finalizers:${goStrings(m.finalizers)}, ManagedFields:${goManagedFields(m.managedFields)}}`,
  );
}

const nonEmpty = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v && typeof v === 'object' ? Object.keys(v).length > 0 : false);

/** Whether the metadata equals metav1.ObjectMeta{} semantically, the fields in `ignore` left out. */
export function isEmptyObjectMeta(meta: Obj | undefined | null, ignore: readonly string[] = []): boolean {
  const m = meta ?? {};
  const skip = new Set(ignore);
  const set = (k: string, test: (v: any) => boolean) => !skip.has(k) && m[k] !== undefined && m[k] !== null && test(m[k]);
  for (const k of ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp']) {
    if (set(k, (v) => v !== '')) return false;
  }
  if (set('generation', (v) => Number(v) !== 0)) return false;
  // A pointer: any value, 0 included, is not the zero ObjectMeta.
  if (set('deletionGracePeriodSeconds', () => true)) return false;
  for (const k of ['labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']) if (set(k, nonEmpty)) return false;
  return true;
}
