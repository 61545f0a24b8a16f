/**
 * pods/<name>/eviction, as upstream's EvictionREST (pkg/registry/core/pod/storage/eviction.go):
 * POST a policy/v1 Eviction; the pod is deleted only if no PodDisruptionBudget that selects it
 * would be violated. A budget with no disruptions left answers 429 with a DisruptionBudget cause
 * (kubectl drain waits and retries on it); otherwise the budget's disruptionsAllowed is
 * decremented and the pod recorded in status.disruptedPods before the pod is deleted, so the
 * disruption controller does not count it as available meanwhile. The pod itself gets the
 * DisruptionTarget condition before it is deleted (addConditionAndDeletePod, below).
 */
import { ApiError, badRequest, conflict, forbidden, notFound, OPTIMISTIC_LOCK_MESSAGE } from '../../../api/errors.ts';
import { jsonEqual } from '../../../api/json-equal.ts';
import { objectKey } from '../../../api/registry/resource-def.ts';
import { selectorFromMetav1 } from '../../../api/selectors/label-selector.ts';
import { rfc3339 } from '../../../api/time.ts';
import { StorageError } from '../../../storage/types.ts';
import type { RestContext, RestRequest, RestResponse } from '../context.ts';
import { decodeObject, dryRunFrom } from '../decode-object.ts';
import { deleteObject } from '../delete.ts';
import { toApiObject, toStoredValue, type K8sObject } from '../objects.ts';
import { admissionAttributes } from '../admit.ts';

/** Upstream's MaxDisruptedPodSize: more unconfirmed evictions than this and the budget refuses. */
const MAX_DISRUPTED_PODS = 2000;
const MAX_ATTEMPTS = 10;
const PDB = { group: 'policy', resource: 'poddisruptionbudget' };
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

function tooManyRequests(message: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', VIOLATION, { causes: [{ reason: 'DisruptionBudget', message }], ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });
}

/** Terminal, pending or terminating pods cause no further disruption: no budget applies (canIgnorePDB). */
function canIgnorePdb(pod: K8sObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || Boolean(pod.metadata.deletionTimestamp);
}

function isReady(pod: K8sObject): boolean {
  const conds: Array<{ type?: string; status?: string }> = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** checkAndDecrement: the budget after this eviction, or the refusal. */
function decrement(pdb: K8sObject, podName: string, now: Date, dryRun: boolean): K8sObject {
  const st = pdb.status ?? {};
  const allowed = Number(st.disruptionsAllowed ?? 0);
  if (Number(st.observedGeneration ?? 0) < Number(pdb.metadata.generation ?? 0)) {
    throw tooManyRequests(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`, 10);
  }
  if (allowed < 0) throw forbidden(PDB, pdb.metadata.name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(PDB, pdb.metadata.name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (allowed === 0) {
    throw tooManyRequests(`The disruption budget ${pdb.metadata.name} needs ${Number(st.desiredHealthy ?? 0)} healthy pods and has ${Number(st.currentHealthy ?? 0)} currently`, 0);
  }
  const next = structuredClone(pdb);
  next.status = { ...st, disruptionsAllowed: allowed - 1 };
  if (allowed - 1 === 0) setInsufficientPods(next, now);
  if (!dryRun) next.status.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: rfc3339(now) };
  return next;
}

/** pdbhelper.UpdateDisruptionAllowedCondition for a budget that just reached zero. */
function setInsufficientPods(pdb: K8sObject, now: Date): void {
  const conds: Array<Record<string, unknown>> = Array.isArray(pdb.status.conditions) ? [...pdb.status.conditions] : [];
  const i = conds.findIndex((c) => c.type === 'DisruptionAllowed');
  const cond = { type: 'DisruptionAllowed', status: 'False', observedGeneration: pdb.status.observedGeneration ?? 0, reason: 'InsufficientPods', message: '' };
  if (i < 0) conds.push({ ...cond, lastTransitionTime: rfc3339(now) });
  else conds[i] = { ...conds[i], ...cond, lastTransitionTime: conds[i]!.status === 'False' ? conds[i]!.lastTransitionTime : rfc3339(now) };
  pdb.status.conditions = conds;
}

async function matchingBudgets(ctx: RestContext, pod: K8sObject): Promise<Array<{ key: string; rev: number; pdb: K8sObject }>> {
  const def = ctx.registry.get('policy', 'v1', 'poddisruptionbudgets')!;
  const prefix = objectKey(def, pod.metadata.namespace, '');
  const list = await ctx.store.list<K8sObject>(prefix);
  const out = [];
  for (const s of list.items) {
    const pdb = toApiObject(def, s);
    // A nil or empty selector matches nothing here (upstream skips selector.Empty()).
    const sel = selectorFromMetav1(pdb.spec?.selector);
    if (sel.empty || !sel.matches(pod.metadata.labels)) continue;
    out.push({ key: s.key, rev: s.modRevision, pdb });
  }
  return out;
}

export async function evictPod(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const eviction = decodeObject(ctx, req, { apiVersion: 'policy/v1', kind: 'Eviction' });
  if (String(eviction.metadata?.name ?? '') !== req.info.name) throw badRequest('name in URL does not match name in Eviction object');
  const opts: DeleteOptions = eviction.deleteOptions && typeof eviction.deleteOptions === 'object' ? eviction.deleteOptions : {};
  const dryRun = dryRunFrom([...req.query.getAll('dryRun'), ...(Array.isArray(opts.dryRun) ? opts.dryRun : [])]);
  const podsDef = req.def;
  const podKey = objectKey(podsDef, req.info.namespace, req.info.name);
  // Admission sees a CREATE of pods/eviction carrying the policy/v1 Eviction, as upstream.
  const attrs = { ...admissionAttributes(req, 'CREATE', eviction, undefined, dryRun), kind: { group: 'policy', version: 'v1', kind: 'Eviction' } };
  await ctx.admission.admit(attrs, req.admission);
  await ctx.admission.validate(attrs, req.admission);
  const evict = (options: DeleteOptions) => addConditionAndDeletePod(ctx, req, podKey, options, dryRun);
  const clientPinned = opts.preconditions?.resourceVersion != null;

  // A pod no budget applies to is deleted at once, pinned to the revision looked at unless terminal
  // or terminating; conflicts retried unless the client pinned a revision itself.
  let pod: K8sObject;
  for (let attempt = 1; ; attempt++) {
    const s = await ctx.store.get<K8sObject>(podKey, { consistent: attempt > 1 });
    if (!s) throw notFound({ group: '', resource: 'pods' }, req.info.name);
    pod = toApiObject(podsDef, s);
    if (!canIgnorePdb(pod)) break;
    try {
      await evict(shouldEnforceResourceVersion(pod) && !clientPinned ? pinnedTo(opts, pod) : opts);
      return SUCCESS;
    } catch (err) {
      if (!clientPinned && attempt < MAX_ATTEMPTS && isConflict(err)) continue;
      throw err;
    }
  }

  let budgetName = '';
  let pinned = false;
  for (let attempt = 1; ; attempt++) {
    const budgets = await matchingBudgets(ctx, pod);
    // Upstream returns this Status from Create: the handler writes it with the create's 201 (client-go
    // reads a Failure Status as an error, its code 500).
    if (budgets.length > 1) return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.', code: 500 } };
    if (budgets.length === 0) break;
    const { key, rev, pdb } = budgets[0]!;
    budgetName = String(pdb.metadata.name);
    // An unready pod already counts as disrupted: while the budget holds, it goes without a decrement,
    // but only as long as it is the pod we looked at (resourceVersion precondition).
    const st = pdb.status ?? {};
    if (!isReady(pod) && (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || (Number(st.currentHealthy ?? 0) >= Number(st.desiredHealthy ?? 0) && Number(st.desiredHealthy ?? 0) > 0))) {
      pinned = true;
      break;
    }
    const next = decrement(pdb, pod.metadata.name, ctx.now(), dryRun);
    if (dryRun) break;
    try {
      await ctx.store.update(key, toStoredValue(next), rev);
      break;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Conflict' && attempt < MAX_ATTEMPTS) continue;
      if (err instanceof StorageError && err.code === 'Conflict') throw conflict({ group: 'policy', resource: 'poddisruptionbudgets' }, pdb.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
      throw err;
    }
  }

  // The budget allows it (or none applies): delete the pod with the Eviction's DeleteOptions.
  try {
    await evict(pinned ? pinnedTo(opts, pod) : opts);
  } catch (err) {
    // The unready pod changed since: the client should come back (upstream's createTooManyRequestsError).
    if (isConflict(err) && pinned && !clientPinned) throw tooManyRequests(`The disruption budget ${budgetName} is still being processed by the server.`, 10);
    throw err;
  }
  return SUCCESS;
}

const SUCCESS: RestResponse = { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };

interface DeleteOptions {
  dryRun?: unknown;
  preconditions?: { uid?: string | null; resourceVersion?: string | null };
  [k: string]: unknown;
}

const isConflict = (err: unknown): boolean => err instanceof ApiError && err.code === 409;

/** Terminal and terminating pods are deleted without a resourceVersion precondition (shouldEnforceResourceVersion). */
function shouldEnforceResourceVersion(pod: K8sObject): boolean {
  const phase = pod.status?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp);
}

function pinnedTo(opts: DeleteOptions, pod: K8sObject): DeleteOptions {
  return { ...opts, preconditions: { ...(opts.preconditions ?? {}), resourceVersion: String(pod.metadata.resourceVersion) } };
}

/** The condition an eviction leaves on the pod it deletes (PodDisruptionConditions, GA in 1.31). */
const EVICTION_CONDITION = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' };
const POD = { group: '', resource: 'Pod' };

/**
 * Upstream's addConditionAndDeletePod (eviction.go): unless a dry run, the latest pod gets the
 * DisruptionTarget condition first (podutil.UpdatePodCondition: the condition replaced whole, its
 * transition time kept while the status stays True; nothing written when it is already there), as
 * the server's own status write (no admission, managedFields untouched), refused with upstream's
 * Conflict when the delete's preconditions no longer hold; a resourceVersion precondition then
 * moves to the revision this write made. Then the pod is deleted with those options.
 */
async function addConditionAndDeletePod(ctx: RestContext, req: RestRequest, podKey: string, options: DeleteOptions, dryRun: boolean): Promise<void> {
  const podsDef = req.def;
  const name = req.info.name;
  if (!dryRun) {
    const pre = options.preconditions;
    let written = '';
    for (let attempt = 1; ; attempt++) {
      const s = await ctx.store.get<K8sObject>(podKey, { consistent: attempt > 1 });
      if (!s) throw notFound({ group: '', resource: 'pods' }, name);
      const latest = toApiObject(podsDef, s);
      if (pre?.uid && pre.uid !== latest.metadata.uid) {
        throw conflict(POD, name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${latest.metadata.uid}). The object might have been deleted and then recreated`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== latest.metadata.resourceVersion) {
        throw conflict(POD, name, `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${latest.metadata.resourceVersion}). The object might have been modified`);
      }
      const conditions: Array<Record<string, unknown>> = Array.isArray(latest.status?.conditions) ? latest.status.conditions : [];
      const i = conditions.findIndex((c) => c.type === EVICTION_CONDITION.type);
      const old = i < 0 ? undefined : conditions[i]!;
      const lastTransitionTime = old?.status === EVICTION_CONDITION.status ? (old.lastTransitionTime ?? null) : rfc3339(ctx.now());
      // The Go struct's field order; an unset lastProbeTime is null (metav1.Time).
      const cond = { type: EVICTION_CONDITION.type, status: EVICTION_CONDITION.status, lastProbeTime: null, lastTransitionTime, reason: EVICTION_CONDITION.reason, message: EVICTION_CONDITION.message };
      if (old && jsonEqual(old, cond)) {
        written = String(latest.metadata.resourceVersion);
        break;
      }
      const next = { ...latest, status: { ...(latest.status ?? {}), conditions: i < 0 ? [...conditions, cond] : conditions.map((c, j) => (j === i ? cond : c)) } };
      try {
        const w = await ctx.store.update<K8sObject>(podKey, toStoredValue(next, podsDef), s.modRevision);
        written = String(w.modRevision);
        break;
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Conflict' && attempt < MAX_ATTEMPTS) continue;
        if (err instanceof StorageError && err.code === 'Conflict') throw conflict({ group: '', resource: 'pods' }, name, OPTIMISTIC_LOCK_MESSAGE);
        if (err instanceof StorageError && err.code === 'NotFound') throw notFound({ group: '', resource: 'pods' }, name);
        throw err;
      }
    }
    if (pre?.resourceVersion != null) options = { ...options, preconditions: { ...pre, resourceVersion: written } };
  }
  const del: RestRequest = {
    ...req,
    info: { ...req.info, verb: 'delete', subresource: '' },
    body: Buffer.from(JSON.stringify(options)),
    headers: { ...req.headers, 'content-type': 'application/json' },
  };
  // The registry's delete (upstream r.store.Delete with ValidateAllObjectFunc): admission saw the
  // CREATE of pods/eviction, and sees no DELETE of the pod.
  await deleteObject(ctx, del, { admission: false });
}
