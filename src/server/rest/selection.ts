import { parseLabelSelector } from '../../api/selectors/label-selector.ts';
import { parseFieldSelector, validateFieldSelectorFields } from '../../api/selectors/field-selector.ts';
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { K8sObject } from './objects.ts';

/** Upstream's SelectionPredicate: label and field selectors of a list or watch, as one match function. */
export interface Selection {
  matches(obj: K8sObject): boolean;
  /** True when nothing is filtered. */
  everything: boolean;
  /** A single name the selection pins (metadata.name=x), to narrow reads. */
  name?: string;
}

export function fieldsOf(def: ResourceDef, obj: K8sObject): Record<string, string> {
  const f = def.fieldLabels(obj);
  f['metadata.name'] = String(obj.metadata?.name ?? '');
  if (def.namespaced) f['metadata.namespace'] = String(obj.metadata?.namespace ?? '');
  return f;
}

export function selectionFromQuery(def: ResourceDef, query: URLSearchParams): Selection {
  const ls = query.get('labelSelector') ?? '';
  const fs = query.get('fieldSelector') ?? '';
  const labels = ls.trim() ? parseLabelSelector(ls) : undefined;
  const fields = fs.trim() ? parseFieldSelector(fs) : undefined;
  if (fields) {
    // Only the fields this resource supports may be selected on (upstream answers 400 otherwise).
    const sample = fieldsOf(def, { metadata: {} });
    validateFieldSelectorFields(fields, Object.keys(sample), def.resource);
  }
  if (!labels && !fields) return { everything: true, matches: () => true };
  let name: string | undefined;
  for (const r of fields?.requirements ?? []) {
    if (r.field === 'metadata.name' && r.operator === '=') name = r.value;
  }
  return {
    everything: false,
    name,
    matches(obj: K8sObject): boolean {
      if (labels && !labels.matches(obj.metadata?.labels ?? {})) return false;
      if (fields && !fields.matches(fieldsOf(def, obj))) return false;
      return true;
    },
  };
}
