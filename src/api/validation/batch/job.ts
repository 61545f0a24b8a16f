/** batch/v1 Job and CronJob validation (pkg/apis/batch/validation). */
import type { CronJob, Job, JobSpec, JobTemplateSpec } from 'kubernetes-types/batch/v1.js';
import { GoValue, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual, TYPES } from '../equality.ts';
import { goLabelSelector, nameIsDNSSubdomain, validateImmutable, validateLabelSelector, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { SELECTOR_MISMATCH, trySelector } from '../apps/common.ts';
import { validatePodTemplateSpec, type PodSpecOptions } from '../core/pod-spec.ts';
import { templateUpdateOptions } from '../core/pod-validation-options.ts';
import { cronError } from './cron.ts';

const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const CONCURRENCY = ['Allow', 'Forbid', 'Replace'];
/** CronJob names get an 11-character suffix for their Jobs, which must stay DNS-1035-label sized. */
const CRONJOB_NAME_MAX = 52;

function validateJobSpec(spec: JobSpec | undefined, p: Path, requireSelector: boolean, opts: PodSpecOptions): FieldError[] {
  const errs: FieldError[] = [];
  const s: JobSpec = spec ?? ({ template: {} } as JobSpec);
  if (requireSelector && !s.selector) errs.push(required(p.child('selector')));
  else errs.push(...validateLabelSelector(s.selector, p.child('selector')));
  if (s.selector) {
    const sel = trySelector(s.selector);
    if (sel && !sel.matches(s.template?.metadata?.labels)) {
      errs.push(invalid(p.child('template', 'metadata', 'labels'), s.template?.metadata?.labels ?? null, SELECTOR_MISMATCH));
    }
  }
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    errs.push(...validateNonnegative(s[f], p.child(f)));
  }
  const mode = s.completionMode;
  if (mode !== undefined && !COMPLETION_MODES.includes(mode)) errs.push(notSupported(p.child('completionMode'), mode, COMPLETION_MODES));
  if (mode === 'Indexed' && (s.completions === undefined || s.completions === null)) {
    errs.push(required(p.child('completions'), 'when completion mode is Indexed'));
  }
  errs.push(...validatePodTemplateSpec(s.template, p.child('template'), opts));
  const rp = s.template?.spec?.restartPolicy;
  // A job's pods run to completion; Always would never let them finish.
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(p.child('template', 'spec', 'restartPolicy'), rp ?? '', ['OnFailure', 'Never']));
  return errs;
}

export function validateJob(job: Job): FieldError[] {
  const errs = validateObjectMeta(job.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validateJobSpec(job.spec, path('spec'), true, {}));
  return errs;
}

/** Upstream allows only a few spec fields to change; the selector and template are fixed. */
export function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  errs.push(...validateJobSpec(job.spec, path('spec'), true, templateUpdateOptions(old.spec?.template)));
  const sp = path('spec');
  errs.push(...validateImmutable(job.spec?.completions ?? null, old.spec?.completions ?? null, sp.child('completions')));
  if (!semanticEqual(job.spec?.selector, old.spec?.selector)) {
    errs.push(invalid(sp.child('selector'), goLabelSelector(job.spec?.selector), 'field is immutable'));
  }
  if (!semanticEqual(job.spec?.template, old.spec?.template, TYPES.podTemplateSpec)) {
    errs.push(invalid(sp.child('template'), new GoValue(JSON.stringify(job.spec?.template ?? null)), 'field is immutable'));
  }
  errs.push(...validateImmutable(job.spec?.completionMode ?? '', old.spec?.completionMode ?? '', sp.child('completionMode')));
  return errs;
}

function validateJobTemplate(t: JobTemplateSpec | undefined, p: Path, opts: PodSpecOptions): FieldError[] {
  const errs = validateJobSpec(t?.spec, p.child('spec'), false, opts);
  if (t?.spec?.manualSelector === true) {
    errs.push(notSupported(p.child('spec', 'manualSelector'), true, ['nil', 'false']));
  }
  return errs;
}

export function validateCronJob(cj: CronJob, old?: CronJob): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const name = cj.metadata?.name ?? '';
  if (name.length > CRONJOB_NAME_MAX) errs.push(invalid(path('metadata', 'name'), name, `must be no more than ${CRONJOB_NAME_MAX} characters`));
  const sp = path('spec');
  const spec = cj.spec;
  const schedule = spec?.schedule ?? '';
  if (!schedule) {
    errs.push(required(sp.child('schedule')));
  } else {
    const e = cronError(schedule);
    if (e) errs.push(invalid(sp.child('schedule'), schedule, e));
    const allowTZ = (old?.spec?.schedule ?? '').includes('TZ');
    if (allowTZ && schedule.includes('TZ') && spec?.timeZone) {
      errs.push(invalid(sp.child('schedule'), schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(invalid(sp.child('schedule'), schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...validateNonnegative(spec?.startingDeadlineSeconds, sp.child('startingDeadlineSeconds')));
  const cp = spec?.concurrencyPolicy ?? '';
  if (!cp) errs.push(required(sp.child('concurrencyPolicy')));
  else if (!CONCURRENCY.includes(cp)) errs.push(notSupported(sp.child('concurrencyPolicy'), cp, CONCURRENCY));
  errs.push(...validateJobTemplate(spec?.jobTemplate, sp.child('jobTemplate'), templateUpdateOptions(old?.spec?.jobTemplate?.spec?.template)));
  errs.push(...validateNonnegative(spec?.successfulJobsHistoryLimit, sp.child('successfulJobsHistoryLimit')));
  errs.push(...validateNonnegative(spec?.failedJobsHistoryLimit, sp.child('failedJobsHistoryLimit')));
  if (spec?.timeZone !== undefined && spec.timeZone !== null) {
    const tz = spec.timeZone;
    let ok = tz !== '' && !tz.includes(' ');
    if (ok) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
      } catch {
        ok = false;
      }
    }
    if (!ok) errs.push(invalid(sp.child('timeZone'), tz, 'unknown time zone ' + tz));
  }
  return errs;
}

export function validateCronJobUpdate(cj: CronJob, old: CronJob): FieldError[] {
  const errs = validateObjectMetaUpdate(cj.metadata, old.metadata);
  errs.push(...validateCronJob(cj, old).filter((e) => !e.field.startsWith('metadata.')));
  return errs;
}

