/**
 * batch/v1 Job status-subresource validation: upstream 1.33's ValidateJobUpdateStatus with the
 * options its status strategy picks while JobManagedBy is on (beta, on by default): ObjectMeta update
 * rules plus the status, never the spec (the status path keeps the stored spec). Most transition
 * rules apply only when the fields they look at change, so a Job stored with an already-odd status
 * can still get unrelated status writes, as upstream intends.
 *
 * Not ported: the completedIndexes/failedIndexes interval-format checks ("error parsing …") and the
 * failed/completed index overlap check.
 */
import { duplicate, GoValue, invalid, OMIT_VALUE, path, required, type FieldError } from '../field-errors.ts';
import { semanticEqual } from '../equality.ts';
import { validateNonnegative, validateObjectMetaUpdate } from '../meta.ts';

type Obj = Record<string, any>;

const statusOf = (o: Obj): Obj => (o?.status && typeof o.status === 'object' ? o.status : {});
const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
const isTrue = (job: Obj, type: string): boolean =>
  Array.isArray(statusOf(job).conditions) && statusOf(job).conditions.some((c: Obj) => c?.type === type && c?.status === 'True');
const finished = (job: Obj): boolean => isTrue(job, 'Complete') || isTrue(job, 'Failed');
const has = (v: unknown): boolean => v !== undefined && v !== null;

/** A metav1.Time as Go prints it in a field error (time.Time's String()). */
function goTime(v: unknown): GoValue | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return new GoValue(v);
  return new GoValue(d.toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '') + ' +0000 UTC');
}

const time = (v: unknown): number => (typeof v === 'string' ? new Date(v).getTime() : NaN);

function validateUncounted(s: Obj): FieldError[] {
  const u = s.uncountedTerminatedPods;
  if (!u || typeof u !== 'object') return [];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const up = path('status', 'uncountedTerminatedPods');
  for (const list of ['succeeded', 'failed'] as const) {
    const uids: unknown[] = Array.isArray(u[list]) ? u[list] : [];
    uids.forEach((k, i) => {
      const p = up.child(list).index(i);
      if (k === '' || k === undefined || k === null) errs.push(invalid(p, '', 'must not be empty'));
      else if (seen.has(String(k))) errs.push(duplicate(p, k));
      else seen.add(String(k));
    });
  }
  return errs;
}

export function validateJobStatusUpdate(job: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(job.metadata, old.metadata);
  const s = statusOf(job);
  const o = statusOf(old);
  const spec: Obj = job.spec ?? {};
  const p = path('status');
  const cond = p.child('conditions');
  const changed = (f: string): boolean => !semanticEqual(s[f] ?? null, o[f] ?? null);
  const finishedChanged = finished(job) !== finished(old);
  const completeChanged = isTrue(job, 'Complete') !== isTrue(old, 'Complete');
  const failedChanged = isTrue(job, 'Failed') !== isTrue(old, 'Failed');
  const targetChanged = isTrue(job, 'FailureTarget') !== isTrue(old, 'FailureTarget');
  const indexed = spec.completionMode === 'Indexed';
  const unc = s.uncountedTerminatedPods;

  // validateJobStatus
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...validateNonnegative(s[f], p.child(f)));
  errs.push(...validateUncounted(s));
  if ((completeChanged || failedChanged) && isTrue(job, 'Complete') && isTrue(job, 'Failed')) {
    errs.push(invalid(cond, OMIT_VALUE, 'cannot set Complete=True and Failed=true conditions'));
  }
  if ((completeChanged || targetChanged) && isTrue(job, 'Complete') && isTrue(job, 'FailureTarget')) {
    errs.push(invalid(cond, OMIT_VALUE, 'cannot set Complete=True and FailureTarget=true conditions'));
  }
  const timesChanged = completeChanged || changed('completionTime');
  if (timesChanged && has(s.completionTime) && !isTrue(job, 'Complete')) {
    errs.push(invalid(p.child('completionTime'), goTime(s.completionTime), 'cannot set completionTime when there is no Complete=True condition'));
  }
  if (timesChanged && !has(s.completionTime) && isTrue(job, 'Complete')) {
    errs.push(required(p.child('completionTime'), 'completionTime is required for Complete jobs'));
  }
  if ((changed('startTime') || changed('completionTime')) && has(s.startTime) && has(s.completionTime) && time(s.completionTime) < time(s.startTime)) {
    errs.push(invalid(p.child('completionTime'), goTime(s.completionTime), 'completionTime cannot be set before startTime'));
  }
  if ((finishedChanged || changed('active')) && n(s.active) > 0 && finished(job)) {
    errs.push(invalid(p.child('active'), n(s.active), 'active>0 is invalid for finished job'));
  }
  if ((finishedChanged || changed('startTime')) && !has(s.startTime) && finished(job)) {
    errs.push(required(p.child('startTime'), 'startTime is required for finished job'));
  }
  if ((finishedChanged || changed('uncountedTerminatedPods')) && finished(job) && unc && (unc.failed?.length ?? 0) + (unc.succeeded?.length ?? 0) > 0) {
    errs.push(invalid(p.child('uncountedTerminatedPods'), new GoValue(JSON.stringify(unc)), 'uncountedTerminatedPods needs to be empty for finished job'));
  }
  if (changed('completedIndexes') && (s.completedIndexes ?? '') !== '' && !indexed) {
    errs.push(invalid(p.child('completedIndexes'), s.completedIndexes, 'cannot set non-empty completedIndexes when non-indexed completion mode'));
  }
  if (changed('failedIndexes') && !has(spec.backoffLimitPerIndex) && has(s.failedIndexes)) {
    errs.push(invalid(p.child('failedIndexes'), s.failedIndexes, 'cannot set non-null failedIndexes when backoffLimitPerIndex is null'));
  }
  const met = isTrue(job, 'SuccessCriteriaMet');
  if (met && isTrue(job, 'Failed')) errs.push(invalid(cond, OMIT_VALUE, 'cannot set SuccessCriteriaMet=True and Failed=true conditions'));
  if (met && isTrue(job, 'FailureTarget')) errs.push(invalid(cond, OMIT_VALUE, 'cannot set SuccessCriteriaMet=True and FailureTarget=true conditions'));
  if (spec.successPolicy && !met && isTrue(job, 'Complete')) {
    errs.push(invalid(cond, OMIT_VALUE, 'cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True'));
  }

  // ValidateJobStatusUpdate: transitions
  for (const t of ['Failed', 'Complete', 'FailureTarget']) {
    if (isTrue(old, t) && !isTrue(job, t)) errs.push(invalid(cond, OMIT_VALUE, `cannot disable the terminal ${t}=True condition`));
  }
  if (n(s.failed) < n(o.failed)) errs.push(invalid(p.child('failed'), n(s.failed), 'cannot decrease the failed counter'));
  // An Indexed Job whose completions equal its parallelism can be scaled down, losing successes.
  const mayDropSucceeded = indexed && (spec.completions ?? null) === (spec.parallelism ?? null);
  if (!mayDropSucceeded && n(s.succeeded) < n(o.succeeded)) {
    errs.push(invalid(p.child('succeeded'), n(s.succeeded), 'cannot decrease the succeeded counter'));
  }
  if (has(s.completionTime) && has(o.completionTime) && time(s.completionTime) !== time(o.completionTime)) {
    errs.push(invalid(p.child('completionTime'), goTime(s.completionTime), 'completionTime cannot be mutated'));
  }
  if (changed('startTime') && has(o.startTime) && spec.suspend !== true) {
    errs.push(required(p.child('startTime'), 'startTime cannot be removed for unsuspended job'));
  }
  if (isTrue(old, 'SuccessCriteriaMet') && !met) errs.push(invalid(cond, OMIT_VALUE, 'cannot disable the SuccessCriteriaMet=True condition'));
  if (isTrue(old, 'Complete') && !isTrue(old, 'SuccessCriteriaMet') && met) {
    errs.push(invalid(cond, OMIT_VALUE, 'cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions'));
  }
  return errs;
}
