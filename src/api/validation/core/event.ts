/**
 * Event validation (legacy core/v1 rules). Old-style events (no eventTime) must live in their
 * involved object's namespace; new-style ones must name their reporter.
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import { invalid, path, required, type FieldError } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta } from '../meta.ts';
import { isDNS1123Subdomain, isQualifiedName } from '../names.ts';

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

export function validateEvent(ev: Event): FieldError[] {
  const errs = validateObjectMeta(ev.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const ns = ev.metadata?.namespace ?? '';
  const involvedNs = ev.involvedObject?.namespace ?? '';
  const nsPath = path('involvedObject', 'namespace');
  if (!ev.eventTime) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default') errs.push(invalid(nsPath, involvedNs, 'does not match event.namespace'));
    } else if (ns !== involvedNs) {
      errs.push(invalid(nsPath, involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid(nsPath, involvedNs, 'does not match event.namespace'));
    const rc = ev.reportingComponent ?? '';
    // The v1 API calls reportingController "source" in its messages.
    if (!rc) errs.push(required(path('source')));
    for (const m of isQualifiedName(rc)) errs.push(invalid(path('source'), rc, m));
    const ri = ev.reportingInstance ?? '';
    if (!ri) errs.push(required(path('reportingInstance')));
    if (ri.length > REPORTING_INSTANCE_LIMIT) errs.push(invalid(path('reportingInstance'), '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    if (!ev.action) errs.push(required(path('action')));
    if ((ev.action ?? '').length > ACTION_LIMIT) errs.push(invalid(path('action'), '', `can have at most ${ACTION_LIMIT} characters`));
    if (!ev.reason) errs.push(required(path('reason')));
    if ((ev.reason ?? '').length > REASON_LIMIT) errs.push(invalid(path('reason'), '', `can have at most ${REASON_LIMIT} characters`));
    if ((ev.message ?? '').length > NOTE_LIMIT) errs.push(invalid(path('message'), '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid(path('namespace'), ns, m));
  return errs;
}
