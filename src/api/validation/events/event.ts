/**
 * events.k8s.io/v1 Event validation (pkg/apis/core/validation/events.go, ValidateEventCreate):
 * the legacy core rules on the converted object, then the strict rules of the new API, whose
 * messages name the v1 fields.
 */
import { invalid, path, required, type FieldError } from '../field-errors.ts';
import { validateEvent } from '../core/event.ts';
import { validateObjectMetaUpdate } from '../meta.ts';
import { eventV1ToCore } from '../../conversion/events.ts';

type Obj = Record<string, any>;

const set = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && v !== 0;

export function validateEventsV1Event(ev: Obj): FieldError[] {
  const errs = validateEvent(eventV1ToCore(ev) as Parameters<typeof validateEvent>[0]);
  if (ev.series) {
    if (!(typeof ev.series.count === 'number' && ev.series.count >= 2)) errs.push(invalid(path('series', 'count'), '', 'should be at least 2'));
    if (!ev.series.lastObservedTime) errs.push(required(path('series', 'lastObservedTime')));
  }
  if (!ev.eventTime) errs.push(required(path('eventTime')));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') errs.push(invalid(path('type'), '', `has invalid value: ${ev.type ?? ''}`));
  if (set(ev.deprecatedFirstTimestamp)) errs.push(invalid(path('deprecatedFirstTimestamp'), '', 'needs to be unset'));
  if (set(ev.deprecatedLastTimestamp)) errs.push(invalid(path('deprecatedLastTimestamp'), '', 'needs to be unset'));
  if (set(ev.deprecatedCount)) errs.push(invalid(path('deprecatedCount'), '', 'needs to be unset'));
  if (set(ev.deprecatedSource?.component) || set(ev.deprecatedSource?.host)) errs.push(invalid(path('deprecatedSource'), '', 'needs to be unset'));
  return errs;
}

/** Updates keep to the legacy rules, as upstream's ValidateEventUpdate. */
export function validateEventsV1EventUpdate(ev: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ev.metadata, old.metadata);
  errs.push(...validateEvent(eventV1ToCore(ev) as Parameters<typeof validateEvent>[0]).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}
