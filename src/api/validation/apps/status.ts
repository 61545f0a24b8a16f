/**
 * Status-subresource validation of the replica controllers (upstream's Validate*StatusUpdate in
 * pkg/apis/apps/validation and core's ValidateReplicationControllerStatusUpdate): ObjectMeta update
 * rules plus the status counters, never the spec. The status path keeps the stored spec
 * (prepareForUpdate), so re-validating it would only refuse controllers' writes to objects stored
 * before a newer template rule existed.
 */
import { invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { validateNonnegative, validateObjectMetaUpdate } from '../meta.ts';

type Obj = Record<string, any>;
const GT_REPLICAS = 'cannot be greater than status.replicas';

/** Go's int32 counters read as 0 when absent. */
const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

function nonnegative(status: Obj, fields: readonly string[], p: Path): FieldError[] {
  return fields.flatMap((f) => validateNonnegative(status[f], p.child(f)));
}

/** `fields` (in upstream's order) may not exceed status.replicas. */
function notAboveReplicas(status: Obj, fields: readonly string[], p: Path): FieldError[] {
  return fields.filter((f) => n(status[f]) > n(status.replicas)).map((f) => invalid(p.child(f), n(status[f]), GT_REPLICAS));
}

function availableNotAboveReady(status: Obj, p: Path, msg: string): FieldError[] {
  return n(status.availableReplicas) > n(status.readyReplicas) ? [invalid(p.child('availableReplicas'), n(status.availableReplicas), msg)] : [];
}

/** apivalidation.IsDecremented on the optional collisionCount. */
function collisionNotDecremented(next: Obj, old: Obj): FieldError[] {
  const cur = next.collisionCount;
  const prev = old.collisionCount;
  if (typeof prev !== 'number') return [];
  if (typeof cur === 'number' && cur >= prev) return [];
  return [invalid(path('status', 'collisionCount'), typeof cur === 'number' ? cur : 0, 'cannot be decremented')];
}

const statusOf = (o: Obj): Obj => (o?.status && typeof o.status === 'object' ? o.status : {});

export function validateDeploymentStatusUpdate(d: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(d.metadata, old.metadata);
  const s = statusOf(d);
  const p = path('status');
  errs.push(...nonnegative(s, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'terminatingReplicas', 'collisionCount'], p));
  errs.push(...notAboveReplicas(s, ['updatedReplicas', 'readyReplicas', 'availableReplicas'], p));
  errs.push(...availableNotAboveReady(s, p, 'cannot be greater than readyReplicas'));
  errs.push(...collisionNotDecremented(s, statusOf(old)));
  return errs;
}

const RC_COUNTERS = ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'];

/**
 * ValidateReplicaSetStatus and ValidateReplicationControllerStatus: the same rules, except that
 * only a ReplicaSet has terminatingReplicas (1.33, DeploymentReplicaSetTerminatingReplicas).
 */
function replicaCountersUpdate(o: Obj, old: Obj, counters: readonly string[]): FieldError[] {
  const errs = validateObjectMetaUpdate(o.metadata, old.metadata);
  const s = statusOf(o);
  const p = path('status');
  errs.push(...nonnegative(s, counters, p));
  errs.push(...notAboveReplicas(s, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'], p));
  errs.push(...availableNotAboveReady(s, p, 'cannot be greater than readyReplicas'));
  return errs;
}

export const validateReplicaSetStatusUpdate = (rs: Obj, old: Obj): FieldError[] => replicaCountersUpdate(rs, old, [...RC_COUNTERS, 'terminatingReplicas']);
export const validateReplicationControllerStatusUpdate = (rc: Obj, old: Obj): FieldError[] => replicaCountersUpdate(rc, old, RC_COUNTERS);

export function validateStatefulSetStatusUpdate(ss: Obj, old: Obj): FieldError[] {
  const s = statusOf(ss);
  const p = path('status');
  // Upstream reports the status before the metadata here.
  const errs = nonnegative(s, ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'], p);
  errs.push(...notAboveReplicas(s, ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'], p));
  errs.push(...availableNotAboveReady(s, p, 'cannot be greater than status.readyReplicas'));
  errs.push(...validateObjectMetaUpdate(ss.metadata, old.metadata));
  errs.push(...collisionNotDecremented(s, statusOf(old)));
  return errs;
}

export function validateDaemonSetStatusUpdate(ds: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(ds.metadata, old.metadata);
  const s = statusOf(ds);
  const p = path('status');
  errs.push(
    ...nonnegative(
      s,
      ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount'],
      p,
    ),
  );
  errs.push(...collisionNotDecremented(s, statusOf(old)));
  return errs;
}
