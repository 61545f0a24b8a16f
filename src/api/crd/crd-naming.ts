/**
 * The naming controller's verdict (apiextensions-apiserver's NamingConditionController): a CRD's
 * requested names are accepted unless another resource in its group already claims them. Upstream
 * counts only other CRDs; here the group's built-in resources are claimants too, so a CRD named
 * like a built-in (clusterrolebindings.rbac.authorization.k8s.io at any version) is never served.
 * Reasons and messages are upstream's.
 */
import { isJsonObject } from './json-schema-props.ts';

export interface ClaimedNames {
  /** Plurals, singulars and short names in the group. */
  resources: Set<string>;
  /** Kinds and list kinds in the group. */
  kinds: Set<string>;
}

export interface NameClaimant {
  resource: string;
  singular: string;
  shortNames: string[];
  kind: string;
  listKind: string;
}

export function claimedNames(claimants: Iterable<NameClaimant>): ClaimedNames {
  const out: ClaimedNames = { resources: new Set(), kinds: new Set() };
  for (const c of claimants) {
    for (const r of [c.resource, c.singular, ...c.shortNames]) if (r) out.resources.add(r);
    for (const k of [c.kind, c.listKind]) if (k) out.kinds.add(k);
  }
  return out;
}

export interface NamingVerdict {
  accepted: boolean;
  reason: string;
  message: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * upstream equalToAcceptedOrFresh: a name already accepted for this CRD stays its own. A built-in's
 * name never does: status.acceptedNames is writable through /status and may predate this check.
 */
function inUse(requested: string, accepted: string, byCrds: Set<string>, byBuiltins: Set<string>): string | undefined {
  if (!byBuiltins.has(requested) && (requested === accepted || !byCrds.has(requested))) return undefined;
  return `${JSON.stringify(requested)} is already in use`;
}

/**
 * Checks in upstream's order; as upstream, a later conflict's reason replaces an earlier one.
 * `names` are spec.names with defaults applied; `accepted` is status.acceptedNames.
 */
export function namingVerdict(names: Record<string, unknown>, accepted: unknown, crds: ClaimedNames, builtins: ClaimedNames): NamingVerdict {
  const acc = isJsonObject(accepted) ? accepted : {};
  let verdict: NamingVerdict = { accepted: true, reason: 'NoConflicts', message: 'no conflicts found' };
  const check = (reason: string, message: string | undefined) => {
    if (message !== undefined) verdict = { accepted: false, reason, message };
  };
  const res = (requested: string, acceptedName: string) => inUse(requested, acceptedName, crds.resources, builtins.resources);
  const kinds = (requested: string, acceptedName: string) => inUse(requested, acceptedName, crds.kinds, builtins.kinds);
  check('PluralConflict', res(str(names.plural), str(acc.plural)));
  check('SingularConflict', res(str(names.singular), str(acc.singular)));
  const ownShort = new Set(strs(acc.shortNames));
  for (const s of strs(names.shortNames)) check('ShortNamesConflict', res(s, ownShort.has(s) ? s : ''));
  check('KindConflict', kinds(str(names.kind), str(acc.kind)));
  check('ListKindConflict', kinds(str(names.listKind), str(acc.listKind)));
  return verdict;
}
