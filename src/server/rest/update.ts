import { ApiError, conflict, notFound, OPTIMISTIC_LOCK_MESSAGE } from '../../api/errors.ts';
import { objectKey } from '../../api/registry/resource-def.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { decodeObject, dryRunFrom } from './decode-object.ts';
import { groupResource, toApiObject, toStoredValue, type K8sObject } from './objects.ts';
import { jsonEqual } from '../../api/json-equal.ts';
import { cloneJson } from '../../api/patch/json-value.ts';
import { prepareForUpdate } from './prepare.ts';
import { apiObjectJson } from './serialize.ts';
import { admissionAttributes, admitDefaultValidate, trackManagedFields } from './admit.ts';
import { checkNameMatch, checkNamespaceMatch } from './namespace.ts';
import { createDecoded } from './create.ts';
import { isStale } from '../../storage/encryption/read-state.ts';
import { allocateClusterIP, releaseClusterIPs, releaseDroppedClusterIPs, type ClusterIPAllocation } from './service-ip.ts';
import { releaseNodePorts, updateNodePorts, type NodePortOperation } from './service-node-ports.ts';

const MAX_ATTEMPTS = 10;

export interface UpdatePlan {
  subresource: string;
  dryRun: boolean;
  /**
   * Compute the desired object from the current one (undefined when it does not exist) as a new
   * object: `current` is the update's old object too, so it must not be changed or shared.
   */
  tryUpdate: (current: K8sObject | undefined) => Promise<K8sObject> | K8sObject;
  /** Create when missing (server-side apply); otherwise 404. */
  allowCreate?: boolean;
  /** The caller computed managedFields itself (server-side apply). */
  managedFieldsDone?: boolean;
  /** A PUT of a kind whose strategy refuses unconditional updates (custom resources, as upstream). */
  requireResourceVersion?: boolean;
}

/**
 * Read, compute, admit, validate and write with optimistic concurrency, retrying when another
 * writer got in between, unless the client pinned a resourceVersion (then 409). Upstream's
 * GuaranteedUpdate.
 */
export async function guaranteedUpdate(ctx: RestContext, req: RestRequest, plan: UpdatePlan): Promise<RestResponse> {
  const { def, info } = req;
  const key = objectKey(def, info.namespace, info.name);
  // The first read is what this server has seen; before answering from it that the object is
  // missing or at another resourceVersion, and after a conflict, the read is consistent (another
  // API server may have written it), as upstream retries GuaranteedUpdate with fresh state.
  let fresh = false;
  for (let attempt = 1; ; attempt++) {
    const s = await ctx.store.get<K8sObject>(key, { consistent: fresh });
    if (!s && !fresh) {
      fresh = true;
      attempt--;
      continue;
    }
    // Stored values are shared and frozen: the update works on its own copy (one per attempt;
    // tryUpdate reads it and returns a new object, it never changes it).
    const current = s ? cloneJson(toApiObject(def, s)) : undefined;
    if (!current && !plan.allowCreate) throw notFound(groupResource(def), info.name);
    const desired = await plan.tryUpdate(current);
    checkNamespaceMatch(req, desired);
    checkNameMatch(req, desired);
    if (!s || !current) return createDecoded(ctx, req, desired, plan.dryRun, plan.managedFieldsDone);

    // Upstream parses the resourceVersion as a number: absent, "" and "0" all mean "unconditional".
    const wantRv = desired.metadata.resourceVersion;
    const pinned = wantRv !== undefined && wantRv !== null && wantRv !== '' && String(wantRv) !== '0';
    if (!pinned && plan.requireResourceVersion) throw resourceVersionRequired(req);
    if (pinned && String(wantRv) !== String(s.modRevision)) {
      if (!fresh) {
        fresh = true;
        attempt--;
        continue;
      }
      throw conflict(groupResource(def), info.name, OPTIMISTIC_LOCK_MESSAGE);
    }

    const next = prepareForUpdate(def, desired, current, plan.subresource, ctx.now);
    const isService = def.kind === 'Service' && def.group === '' && plan.subresource === '';
    // Validation sees the revision being replaced (unconditional updates carry none).
    next.metadata.resourceVersion = String(s.modRevision);
    const attrs = admissionAttributes(req, 'UPDATE', next, current, plan.dryRun, plan.subresource);
    await admitDefaultValidate(ctx, req, attrs);
    if (!plan.managedFieldsDone) trackManagedFields(ctx, req, next, current, plan.subresource);
    // Node ports are taken after validation, as upstream's BeginUpdate; given back unless stored.
    // An ExternalName Service made into one with a ClusterIP gets its address now, as upstream's
    // update allocates it (the address it names itself checked as on create); given back unless stored.
    const address: ClusterIPAllocation | undefined = isService && current.spec?.type === 'ExternalName' && next.spec?.type !== 'ExternalName' ? await allocateClusterIP(ctx, next, plan.dryRun) : undefined;
    let ports: NodePortOperation | undefined;
    try {
      ports = isService ? await updateNodePorts(ctx, current, next, plan.dryRun) : undefined;
    } catch (err) {
      await address?.release();
      throw err;
    }
    let stored = false;
    try {
      const nextStored = toStoredValue(next, def);
      // A value read with a key being rotated out is written even when unchanged, as upstream's
      // GuaranteedUpdate does for stale reads: `kubectl replace` re-encrypts with the current key.
      if (!isStale(s.value) && sameIgnoringManagedFields(nextStored, s.value)) return { code: 200, body: current };
      if (plan.dryRun) return { code: 200, body: { ...next, metadata: { ...next.metadata, resourceVersion: String(s.modRevision) } } };
      try {
        // An object being deleted whose last finalizer was just removed is gone now.
        if (next.metadata.deletionTimestamp && !(next.metadata.finalizers?.length > 0) && !(next.metadata.deletionGracePeriodSeconds > 0)) {
          const gone = await ctx.store.delete<K8sObject>(key, s.modRevision);
          if (def.kind === 'Service' && def.group === '') {
            await releaseClusterIPs(ctx, next);
            await releaseNodePorts(ctx, current);
            await releaseNodePorts(ctx, next);
          }
          stored = true;
          return { code: 200, body: toApiObject(def, { ...gone, value: nextStored }) };
        }
        const written = await ctx.store.update<K8sObject>(key, nextStored, s.modRevision);
        // A Service that stopped using an address (made ExternalName or headless) gives it back.
        if (def.kind === 'Service' && def.group === '') await releaseDroppedClusterIPs(ctx, current, next);
        stored = true;
        await ports?.commit();
        // The answer's JSON is kept with the stored value, so the watchers' events of this revision reuse it.
        return { code: 200, body: toApiObject(def, written), raw: apiObjectJson(def, written) };
      } catch (err) {
        if (err instanceof StorageError && err.code === 'Conflict') {
          if (pinned || attempt >= MAX_ATTEMPTS) throw conflict(groupResource(def), info.name, OPTIMISTIC_LOCK_MESSAGE);
          fresh = true;
          continue;
        }
        if (err instanceof StorageError && err.code === 'NotFound') throw notFound(groupResource(def), info.name);
        throw err;
      }
    } finally {
      if (!stored) {
        await ports?.revert();
        await address?.release();
      }
    }
  }
}

/** Upstream's Store.Update for a strategy without AllowUnconditionalUpdate (the value is Go's %#v of uint64 0). */
function resourceVersionRequired(req: RestRequest) {
  const { def, info } = req;
  // Upstream names the resource where the kind goes: GroupKind{Group, Kind: resource}.
  const qualifiedKind = def.group ? `${def.resource}.${def.group}` : def.resource;
  const cause = { reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' };
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${info.name}" is invalid: ${cause.field}: ${cause.message}`, {
    name: info.name,
    ...(def.group ? { group: def.group } : {}),
    kind: def.resource,
    causes: [cause],
  });
}

function sameIgnoringManagedFields(a: K8sObject, b: K8sObject): boolean {
  const strip = (o: K8sObject) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } });
  return jsonEqual(strip(a), strip(b));
}

/** PUT of the object or its status. */
export async function updateObject(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const body = decodeObject(ctx, req);
  return guaranteedUpdate(ctx, req, {
    subresource: req.info.subresource,
    dryRun: dryRunFrom(req.query.getAll('dryRun')),
    tryUpdate: () => cloneJson(body),
    requireResourceVersion: req.def.custom !== undefined,
  });
}
