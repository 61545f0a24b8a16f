/**
 * The status kube-apiserver's naming and establishing controllers give a CRD whose names do not
 * conflict: NamesAccepted and Established conditions, acceptedNames from spec.names (with the
 * singular and listKind defaults applied) and the storage version recorded in storedVersions.
 */
import { isJsonObject } from './json-schema-props.ts';

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

function acceptedNames(names: Record<string, unknown>): Record<string, unknown> {
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

/** Previously stored versions are kept: objects may still be stored at them until migrated. */
export function crdAcceptedStatus(crd: object, now: string): CrdAcceptedStatus {
  const spec = obj(obj(crd).spec);
  const prevStored = obj(obj(crd).status).storedVersions;
  const stored = Array.isArray(prevStored) ? prevStored.filter((v): v is string => typeof v === 'string') : [];
  const sv = storageVersion(spec);
  if (sv !== undefined && !stored.includes(sv)) stored.push(sv);
  return {
    conditions: [
      { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: now,
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    acceptedNames: acceptedNames(obj(spec.names)),
    storedVersions: stored,
  };
}
