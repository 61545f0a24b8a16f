/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition validation: names, group, scope, versions.
 * Structural-schema checks on openAPIV3Schema belong to the CRD schema module, not here.
 */
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { GoValue, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { nameIsDNSSubdomain, validateImmutable, validateObjectMeta, validateObjectMetaUpdate, type NameFn } from '../meta.ts';
import { isDNS1035Label, isDNS1123Subdomain } from '../names.ts';
import { validateSchemaExpressions } from './schema-checks.ts';
import { API_APPROVED_ANNOTATION, apiApprovalState, isProtectedCommunityGroup } from '../../crd/api-approval.ts';

const SCOPES = ['Cluster', 'Namespaced'];
const CONVERSION = ['None', 'Webhook'];

/** kind and listKind may be mixed case, so they are checked lowercased (with a prefix saying so). */
function dns1035(value: string | undefined, p: Path, prefix = ''): FieldError[] {
  if (!value) return [];
  const msgs = isDNS1035Label(prefix ? value.toLowerCase() : value);
  return msgs.length ? [invalid(p, value, prefix + msgs.join(','))] : [];
}

/**
 * Upstream's validateAPIApproval: a CRD in a protected group needs a valid approval annotation;
 * an update that leaves the approval state as it was is never refused (a controller that only
 * edits the spec of an old CRD keeps working).
 */
function validateAPIApproval(crd: CustomResourceDefinition, old?: CustomResourceDefinition): FieldError[] {
  if (!isProtectedCommunityGroup(crd.spec?.group ?? '')) return [];
  const now = apiApprovalState(crd.metadata?.annotations);
  if (old !== undefined && apiApprovalState(old.metadata?.annotations).state === now.state) return [];
  const p = path('metadata', 'annotations').key(API_APPROVED_ANNOTATION);
  if (now.state === 'Missing') return [required(p, now.reason)];
  if (now.state === 'Invalid') return [invalid(p, crd.metadata?.annotations?.[API_APPROVED_ANNOTATION] ?? '', now.reason)];
  return [];
}

export function validateCustomResourceDefinition(crd: CustomResourceDefinition): FieldError[] {
  return [...validateCustomResourceDefinitionFields(crd), ...validateAPIApproval(crd)];
}

function validateCustomResourceDefinitionFields(crd: CustomResourceDefinition): FieldError[] {
  const spec = crd.spec;
  const plural = spec?.names?.plural ?? '';
  const group = spec?.group ?? '';
  // The object name is how the API server finds the CRD for a resource, so it is derived, not free.
  const nameFn: NameFn = (name, prefix) => {
    const errs = nameIsDNSSubdomain(name, prefix);
    if (name !== `${plural}.${group}`) errs.push('must be spec.names.plural+"."+spec.group');
    return errs;
  };
  const errs = validateObjectMeta(crd.metadata, { namespaced: false, nameFn });
  const sp = path('spec');
  if (!group) errs.push(required(sp.child('group')));
  else {
    for (const m of isDNS1123Subdomain(group)) errs.push(invalid(sp.child('group'), group, m));
    if (group.split('.').length < 2) errs.push(invalid(sp.child('group'), group, 'should be a domain with at least one dot'));
  }
  const scope = spec?.scope ?? '';
  if (!scope) errs.push(required(sp.child('scope')));
  else if (!SCOPES.includes(scope)) errs.push(notSupported(sp.child('scope'), scope, SCOPES));

  const versions = spec?.versions ?? [];
  const vp = sp.child('versions');
  if (versions.length === 0) errs.push(required(vp, 'must have exactly one version marked as storage version'));
  let storage = 0;
  const names = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const ip = vp.index(i);
    if (v.storage) storage++;
    if (names.has(v.name)) unique = false;
    names.add(v.name);
    const msgs = isDNS1035Label(v.name ?? '');
    if (msgs.length) errs.push(invalid(ip.child('name'), v.name ?? '', msgs.join(',')));
    if (!v.schema?.openAPIV3Schema) errs.push(required(ip.child('schema', 'openAPIV3Schema'), 'schemas are required'));
    else errs.push(...validateSchemaExpressions(v.schema.openAPIV3Schema, ip.child('schema', 'openAPIV3Schema')));
    if (v.subresources?.scale) {
      const s = v.subresources.scale;
      if (!s.specReplicasPath) errs.push(required(ip.child('subresources', 'scale', 'specReplicasPath')));
      if (!s.statusReplicasPath) errs.push(required(ip.child('subresources', 'scale', 'statusReplicasPath')));
    }
  });
  const versionsValue = new GoValue(JSON.stringify(versions));
  if (!unique) errs.push(invalid(vp, versionsValue, 'must contain unique version names'));
  if (versions.length > 0 && storage !== 1) errs.push(invalid(vp, versionsValue, 'must have exactly one version marked as storage version'));

  const np = sp.child('names');
  const n = spec?.names;
  errs.push(...dns1035(n?.plural, np.child('plural')));
  errs.push(...dns1035(n?.singular, np.child('singular')));
  errs.push(...dns1035(n?.kind, np.child('kind'), 'may have mixed case, but should otherwise match: '));
  errs.push(...dns1035(n?.listKind, np.child('listKind'), 'may have mixed case, but should otherwise match: '));
  (n?.shortNames ?? []).forEach((s, i) => errs.push(...dns1035(s, np.child('shortNames').index(i))));
  (n?.categories ?? []).forEach((c, i) => errs.push(...dns1035(c, np.child('categories').index(i))));
  if (n?.kind && n.kind === n.listKind) errs.push(invalid(np.child('listKind'), n.listKind, 'kind and listKind may not be the same'));
  if (!n?.plural) errs.push(required(np.child('plural')));
  if (!n?.singular) errs.push(required(np.child('singular')));
  if (!n?.kind) errs.push(required(np.child('kind')));
  if (!n?.listKind) errs.push(required(np.child('listKind')));

  const conv = spec?.conversion;
  if (conv) {
    const cp = sp.child('conversion');
    if (!CONVERSION.includes(conv.strategy)) errs.push(notSupported(cp.child('strategy'), conv.strategy, CONVERSION));
    if (conv.strategy === 'Webhook' && !conv.webhook) errs.push(required(cp.child('webhook'), 'must be set when strategy is Webhook'));
    if (conv.strategy === 'None' && conv.webhook) errs.push(invalid(cp.child('webhook'), '', 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

export function validateCustomResourceDefinitionUpdate(crd: CustomResourceDefinition, old: CustomResourceDefinition): FieldError[] {
  const errs = validateObjectMetaUpdate(crd.metadata, old.metadata);
  errs.push(...validateCustomResourceDefinitionFields(crd).filter((e) => !e.field.startsWith('metadata.')));
  errs.push(...validateAPIApproval(crd, old));
  const sp = path('spec');
  errs.push(...validateImmutable(crd.spec?.group ?? '', old.spec?.group ?? '', sp.child('group')));
  errs.push(...validateImmutable(crd.spec?.names?.plural ?? '', old.spec?.names?.plural ?? '', sp.child('names', 'plural')));
  // Once established, stored objects depend on scope and kind.
  const established = (old.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
  if (established) {
    errs.push(...validateImmutable(crd.spec?.scope ?? '', old.spec?.scope ?? '', sp.child('scope')));
    errs.push(...validateImmutable(crd.spec?.names?.kind ?? '', old.spec?.names?.kind ?? '', sp.child('names', 'kind')));
  }
  return errs;
}
