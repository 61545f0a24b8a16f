/**
 * The status kube-apiserver's naming, establishing and API-approval controllers give a CRD:
 * NamesAccepted and Established conditions, acceptedNames from spec.names (with the singular and
 * listKind defaults applied), the storage version recorded in storedVersions and, in a protected
 * group, KubernetesAPIApprovalPolicyConformant. A CRD whose names conflict is not established.
 */
import { isJsonObject } from './json-schema-props.ts';
import type { NamingVerdict } from './crd-naming.ts';
import { apiApprovalCondition } from './api-approval.ts';

export interface CrdCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface CrdAcceptedStatus {
  conditions: CrdCondition[];
  acceptedNames: Record<string, unknown>;
  storedVersions: string[];
}

const obj = (v: unknown): Record<string, unknown> => (isJsonObject(v) ? v : {});

/** spec.names with upstream's defaults (singular from kind, listKind = kind + "List"). */
export function acceptedNames(names: Record<string, unknown>): Record<string, unknown> {
  const kind = typeof names.kind === 'string' ? names.kind : '';
  const out: Record<string, unknown> = {
    plural: names.plural,
    singular: typeof names.singular === 'string' && names.singular !== '' ? names.singular : kind.toLowerCase(),
  };
  if (Array.isArray(names.shortNames) && names.shortNames.length > 0) out.shortNames = [...names.shortNames];
  out.kind = kind;
  out.listKind = typeof names.listKind === 'string' && names.listKind !== '' ? names.listKind : `${kind}List`;
  if (Array.isArray(names.categories) && names.categories.length > 0) out.categories = [...names.categories];
  return out;
}

function storageVersion(spec: Record<string, unknown>): string | undefined {
  const versions = Array.isArray(spec.versions) ? spec.versions.map(obj) : [];
  const v = versions.find((x) => x.storage === true);
  return typeof v?.name === 'string' ? v.name : undefined;
}

const ACCEPTED: NamingVerdict = { accepted: true, reason: 'NoConflicts', message: 'no conflicts found' };

/** Previously stored versions are kept: objects may still be stored at them until migrated. */
export function crdAcceptedStatus(crd: object, now: string, naming: NamingVerdict = ACCEPTED): CrdAcceptedStatus {
  const spec = obj(obj(crd).spec);
  const prevStored = obj(obj(crd).status).storedVersions;
  const stored = Array.isArray(prevStored) ? prevStored.filter((v): v is string => typeof v === 'string') : [];
  const sv = storageVersion(spec);
  if (naming.accepted && sv !== undefined && !stored.includes(sv)) stored.push(sv);
  const conditions: CrdCondition[] = naming.accepted
    ? [
        { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: naming.reason, message: naming.message },
        { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ]
    : [
        { type: 'NamesAccepted', status: 'False', lastTransitionTime: now, reason: naming.reason, message: naming.message },
        { type: 'Established', status: 'False', lastTransitionTime: now, reason: 'NotAccepted', message: 'not all names are accepted' },
      ];
  const meta = obj(obj(crd).metadata);
  const approval = apiApprovalCondition(typeof spec.group === 'string' ? spec.group : '', obj(meta.annotations) as Record<string, string>, now);
  if (approval !== undefined) conditions.push(approval);
  return {
    conditions,
    // Upstream's acceptedNames always carries plural and kind; none are accepted here.
    acceptedNames: naming.accepted ? acceptedNames(obj(spec.names)) : { plural: '', kind: '' },
    storedVersions: stored,
  };
}
