/**
 * Binding a pod to a node, as upstream's BindingREST (pkg/registry/core/pod/storage): POST of a
 * Binding to /namespaces/<ns>/bindings or to /namespaces/<ns>/pods/<name>/binding. The pod gets
 * spec.nodeName, the Binding's annotations and the PodScheduled=True condition in one
 * conditional write; a pod already bound, gated or being deleted is refused. The answer is a
 * Success Status, as upstream's.
 */
import { badRequest, conflict, internalError, notFound } from '../../api/errors.ts';
import { objectKey } from '../../api/registry/resource-def.ts';
import { rfc3339 } from '../../api/time.ts';
import { aggregateMessage, notSupported, path, required, type FieldError } from '../../api/validation/field-errors.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { decodeObject, dryRunFrom } from './decode-object.ts';
import type { K8sObject } from './objects.ts';

const MAX_ATTEMPTS = 10;

/** validation.ValidatePodBinding. */
function validatePodBinding(b: K8sObject): FieldError[] {
  const errs: FieldError[] = [];
  const kind = b.target?.kind ?? '';
  if (kind !== '' && kind !== 'Node') errs.push(notSupported(path('target', 'kind'), kind, ['Node', '<empty>']));
  if (!b.target?.name) errs.push(required(path('target', 'name')));
  return errs;
}

/** Sets PodScheduled=True on `pod`, whose status is its own but whose conditions may be shared. */
function scheduled(pod: K8sObject, now: Date): void {
  pod.status ??= {};
  const conds: Array<Record<string, unknown>> = Array.isArray(pod.status.conditions) ? [...pod.status.conditions] : [];
  const i = conds.findIndex((c) => c.type === 'PodScheduled');
  const ts = rfc3339(now);
  const cond = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ts };
  // podutil.UpdatePodCondition: the condition is replaced whole (a scheduler's earlier reason and
  // message go), its transition time kept only when the status does not change.
  if (i < 0) conds.push(cond);
  else conds[i] = conds[i]!.status === 'True' && conds[i]!.lastTransitionTime ? { ...cond, lastTransitionTime: conds[i]!.lastTransitionTime } : cond;
  pod.status.conditions = conds;
}

export async function bindPod(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const binding = decodeObject(ctx, req, { apiVersion: 'v1', kind: 'Binding' });
  const name = String(binding.metadata?.name ?? '');
  // pods/<name>/binding names the pod in the URL; the bindings collection only in the body.
  if (req.info.subresource === 'binding' && name !== req.info.name) throw badRequest('name in URL does not match name in Binding object');
  const errs = validatePodBinding(binding);
  if (errs.length > 0) throw internalError(aggregateMessage(errs));
  const podsDef = ctx.registry.get('', 'v1', 'pods')!;
  const key = objectKey(podsDef, req.info.namespace, name);
  const dryRun = dryRunFrom(req.query.getAll('dryRun'));
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const s = await ctx.store.get<K8sObject>(key);
    if (!s) throw notFound({ group: '', resource: 'pods' }, name);
    // Only what the bind changes is copied (metadata, spec, status and the conditions list): the
    // rest is shared with the stored value, which is frozen and never written to. A whole
    // structuredClone of the pod was half of this handler's cost.
    const stored = s.value;
    const pod: K8sObject = { ...stored, metadata: { ...stored.metadata }, spec: { ...stored.spec }, status: { ...(stored.status ?? {}) } };
    if (pod.metadata.deletionTimestamp) throw internalError(`pod ${name} is being deleted, cannot be assigned to a host`);
    const uid = binding.metadata?.uid;
    if (uid && uid !== pod.metadata.uid) throw conflict({ group: '', resource: 'pods/binding' }, name, `expected UID ${uid}, found ${pod.metadata.uid}`);
    if (pod.spec?.nodeName) throw conflict({ group: '', resource: 'binding' }, name, `pod ${name} is already assigned to node ${JSON.stringify(pod.spec.nodeName)}`);
    if (Array.isArray(pod.spec?.schedulingGates) && pod.spec.schedulingGates.length > 0) {
      throw conflict({ group: '', resource: 'binding' }, name, `pod ${name} has non-empty .spec.schedulingGates`);
    }
    pod.spec.nodeName = String(binding.target.name);
    const annotations = binding.metadata?.annotations;
    if (annotations && typeof annotations === 'object') pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...annotations };
    scheduled(pod, ctx.now());
    if (dryRun) break;
    try {
      await ctx.store.update(key, pod, s.modRevision);
      break;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'Conflict' && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}
