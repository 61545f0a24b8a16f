/** Core v1 events, after upstream's printEvent (the wide layout, which the server always sends). */
import { doc } from '../field-docs.ts';
import { parseTime, since } from '../duration.ts';
import { int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer } from '../types.ts';
import { NAME } from './meta.ts';

function eventSource(e: Obj): string {
  const source = obj(e.source);
  const component = str(source.component) || str(e.reportingComponent);
  const instance = str(source.host) || str(e.reportingInstance);
  return instance === '' ? component : `${component}, ${instance}`;
}

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', doc('core/v1:Event.lastTimestamp')),
    column('Type', 'string', doc('core/v1:Event.type')),
    column('Reason', 'string', doc('core/v1:Event.reason')),
    column('Object', 'string', doc('core/v1:Event.involvedObject')),
    column('Subobject', 'string', doc('core/v1:ObjectReference.fieldPath'), { priority: 1 }),
    column('Source', 'string', doc('core/v1:Event.source'), { priority: 1 }),
    column('Message', 'string', doc('core/v1:Event.message')),
    column('First Seen', 'string', doc('core/v1:Event.firstTimestamp'), { priority: 1 }),
    column('Count', 'string', doc('core/v1:Event.count'), { priority: 1 }),
    { ...NAME, priority: 1 },
  ],
  cells(e, now) {
    // Events of the new API carry eventTime (and a series) instead of first/last timestamps.
    const first = parseTime(e.firstTimestamp) !== undefined ? since(e.firstTimestamp, now) : since(e.eventTime, now);
    let last = parseTime(e.lastTimestamp) !== undefined ? since(e.lastTimestamp, now) : first;
    let n = int(e.count);
    if (e.series) {
      last = since(obj(e.series).lastObservedTime, now);
      n = int(obj(e.series).count);
    } else if (n === 0) {
      n = 1;
    }
    const involved = obj(e.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
    return [last, str(e.type), str(e.reason), target, str(involved.fieldPath), eventSource(e), str(e.message).trim(), first, n, str(obj(e.metadata).name)];
  },
};
