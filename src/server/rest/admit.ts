import { ApiError, forbidden, invalid } from '../../api/errors.ts';
import { applyDefaults } from '../../api/defaults/index.ts';
import { validateObject } from '../../api/validation/index.ts';
import { withCapabilities } from '../../api/validation/capabilities.ts';
import { toStatusCauses, type FieldError } from '../../api/validation/field-errors.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/meta.ts';
import { updateManagedFields } from '../../api/apply/index.ts';
import { createManagedFields } from '../../api/apply/create-fields-cache.ts';
import type { AdmissionAttributes, Operation } from '../../admission/types.ts';
import type { RestContext, RestRequest } from './context.ts';
import type { K8sObject } from './objects.ts';
import { header } from './decode-object.ts';
import { dropDisabledPodFields } from './pod-gated-fields.ts';
import { initIPFamilyFields } from './service-ip-families.ts';
import { patchServiceUpdate } from './service-allocated-values.ts';
import { dropTypeDependentFields } from './service-type-fields.ts';
import type { Service } from 'kubernetes-types/core/v1.js';
import { canonicalizeQuantities } from '../../api/schema/canonical-quantities.ts';
import { rfc3339 } from '../../api/time.ts';
import type { CustomValidator } from '../../api/crd/types.ts';
import { groupVersion } from '../../api/registry/resource-def.ts';
import { applySchemaDefaults } from '../../api/crd/defaults.ts';
import type { JSONSchemaProps } from '../../api/crd/json-schema-props.ts';

export function admissionAttributes(req: RestRequest, op: Operation, obj: K8sObject | undefined, old: K8sObject | undefined, dryRun: boolean, subresource = req.info.subresource): AdmissionAttributes {
  const { def, info } = req;
  return {
    operation: op,
    object: obj,
    oldObject: old,
    kind: { group: def.group, version: def.version, kind: def.kind },
    resource: { group: def.group, version: def.version, resource: def.resource },
    subresource,
    namespace: info.namespace,
    name: String(obj?.metadata?.name ?? old?.metadata?.name ?? info.name ?? ''),
    user: req.user,
    dryRun,
  };
}

/**
 * The middle of every write, in pipeline order: mutating admission, defaulting and validation,
 * validating admission. Throws the first denial or a 422 with one cause per invalid field.
 */
export async function admitDefaultValidate(ctx: RestContext, req: RestRequest, attrs: AdmissionAttributes): Promise<void> {
  // Decoded into the Go struct upstream: admission sees quantities in their canonical text, and
  // what a webhook or mutating policy patched in is decoded again (in-process plugins set typed
  // Quantities upstream; ours copy canonical text).
  const typeName = req.def.custom ? undefined : req.def.typeName;
  if (typeName && attrs.object) canonicalizeQuantities(ctx.schema, typeName, attrs.object);
  const recordsBefore = req.admission.records.length;
  await ctx.admission.admit(attrs, req.admission);
  const obj = attrs.object;
  if (obj) {
    const { def } = req;
    if (typeName && patchedSince(req.admission.records, recordsBefore)) canonicalizeQuantities(ctx.schema, typeName, obj);
    // PrepareForCreate/PrepareForUpdate's dropDisabledFields runs after mutating admission upstream.
    dropDisabledPodFields(req.def, obj as K8sObject, attrs.oldObject as K8sObject | undefined);
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    const isService = def.group === '' && def.kind === 'Service' && !attrs.subresource;
    // Upstream's Service BeginUpdate: allocated values the client left out, clusterIPs in step with
    // clusterIP (before our defaults, which fill clusterIP from clusterIPs; upstream's do not).
    if (isService && attrs.oldObject) {
      patchServiceUpdate(obj as Service, attrs.oldObject as Service);
      // Then PrepareForUpdate's dropTypeDependentFields, on what the two steps above made.
      dropTypeDependentFields(attrs.oldObject as K8sObject, obj as K8sObject);
    }
    if (def.custom) applySchemaDefaults((def.custom as { schema?: JSONSchemaProps }).schema, obj);
    else applyDefaults(gvk, obj);
    // Upstream's Service BeginCreate/BeginUpdate: IP family fields, before validation.
    if (isService) initIPFamilyFields(obj as Service, attrs.oldObject as Service | undefined);
    const errs = def.custom
      ? validateCustomResource(def, obj as K8sObject, attrs.oldObject as K8sObject | undefined)
      : withCapabilities({ allowPrivileged: ctx.allowPrivileged === true }, () => validateObject(gvk, obj, attrs.oldObject, attrs.subresource));
    if (errs.length > 0) throw invalid(def.kind, def.group, String(obj.metadata?.name ?? ''), toStatusCauses(errs));
    await preventEscalation(ctx, req, attrs);
  }
  await ctx.admission.validate(attrs, req.admission);
}

function patchedSince(records: RestRequest['admission']['records'], from: number): boolean {
  for (let i = from; i < records.length; i++) if ((records[i]!.patches?.length ?? 0) > 0) return true;
  return false;
}

/** Custom resources: ObjectMeta as for any object, then the CRD's schema. */
function validateCustomResource(def: RestRequest['def'], obj: K8sObject, old: K8sObject | undefined): FieldError[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: def.namespaced, nameFn: nameIsDNSSubdomain });
  if (old) errs.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
  const validate = (def.custom as { validate?: CustomValidator } | undefined)?.validate;
  if (validate) errs.push(...validate(obj, old));
  return errs;
}

/** The field manager of a non-apply write: ?fieldManager, else the User-Agent's product name, as upstream. */
export function fieldManagerOf(req: RestRequest): string {
  const fm = req.query.get('fieldManager');
  if (fm) return fm;
  const ua = header(req, 'user-agent') ?? '';
  const name = ua.split('/')[0]!.trim();
  return name.slice(0, 128) || 'unknown';
}

export function trackManagedFields(ctx: RestContext, req: RestRequest, obj: K8sObject, old: K8sObject | undefined, subresource: string): void {
  const { def } = req;
  const manager = fieldManagerOf(req);
  const time = rfc3339(ctx.now());
  const opts = { resetFields: resetFieldsFor(def, subresource), apiVersion: groupVersion(def) };
  // A create of a built-in type: its entry's set comes from the cache of field shapes.
  const mf =
    old === undefined && subresource === '' && def.typeName && !def.custom
      ? createManagedFields(ctx.schema, def.typeName, obj, manager, time, opts)
      : updateManagedFields(def.typeName ? ctx.schema : undefined, def.typeName ?? '', old, obj, manager, 'Update', subresource === 'status' || subresource === 'scale' || subresource === 'ephemeralcontainers' || subresource === 'resize' ? subresource : '', time, opts);
  if (mf.length > 0) obj.metadata.managedFields = mf;
  else delete obj.metadata.managedFields;
}

/** Fields a writer cannot own through this endpoint: status on the main resource, spec on /status. */
export function resetFieldsFor(def: RestRequest['def'], subresource: string): string[] {
  if (!def.status) return [];
  return subresource === 'status' ? ['spec'] : ['status'];
}

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * RBAC escalation prevention, as upstream's RBAC storage does: writing a role needs every rule it
 * grants (or `escalate`), a binding needs the bound role's rules (or `bind`).
 */
async function preventEscalation(ctx: RestContext, req: RestRequest, attrs: AdmissionAttributes): Promise<void> {
  const { def } = req;
  if (!ctx.rbac || def.group !== 'rbac.authorization.k8s.io' || !RBAC_KINDS.has(def.kind)) return;
  if (attrs.operation !== 'CREATE' && attrs.operation !== 'UPDATE') return;
  const refusal = await ctx.rbac.checkEscalation(
    req.user,
    { kind: def.kind, verb: attrs.operation === 'CREATE' ? 'create' : 'update', namespace: req.info.namespace || undefined, object: attrs.object, oldObject: attrs.oldObject } as never,
    (a) => ctx.authorizer.authorize(a),
  );
  if (!refusal) return;
  if (refusal.code === 'NotFound') throw new ApiError(404, 'NotFound', refusal.message, { name: refusal.name, group: def.group, kind: refusal.resource });
  throw forbidden({ group: def.group, resource: refusal.resource }, refusal.name, refusal.message);
}
