/** flowcontrol.apiserver.k8s.io/v1 FlowSchema and PriorityLevelConfiguration validation (pkg/apis/flowcontrol/validation). */
import { duplicate, forbidden, invalid, notSupported, path, required, type FieldError, type Path } from '../field-errors.ts';
import { semanticEqual } from '../equality.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../meta.ts';
import { isDNS1123Label, isDNS1123Subdomain } from '../names.ts';
import { MANDATORY_PRIORITY_LEVELS } from './mandatory.ts';

type Obj = Record<string, any>;

const MAX_MATCHING_PRECEDENCE = 10000;
const MAX_QUEUES = 128;
const MAX_HASH_BITS = 60;
const SUPPORTED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NS_ERR_INTRO = "each member of this list must be '*' or a DNS-1123 label; ";
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const hasWildcard = (v: unknown[]): boolean => v.includes('*');

function validateVerbs(verbs: unknown[], p: Path): FieldError[] {
  if (verbs.length === 0) return [required(p, 'verbs must contain at least one value')];
  if (hasWildcard(verbs)) return verbs.length > 1 ? [invalid(p, verbs, "if '*' is present, must not specify other verbs")] : [];
  return verbs.every((v) => SUPPORTED_VERBS.includes(String(v))) ? [] : [notSupported(p, verbs, SUPPORTED_VERBS)];
}

function validateResourceRule(r: Obj, p: Path): FieldError[] {
  const errs = validateVerbs(arr(r.verbs), p.child('verbs'));
  const groups = arr(r.apiGroups);
  if (groups.length === 0) errs.push(required(p.child('apiGroups'), 'resource rules must supply at least one api group'));
  else if (groups.length > 1 && hasWildcard(groups)) errs.push(invalid(p.child('apiGroups'), groups, "if '*' is present, must not specify other api groups"));
  const resources = arr(r.resources);
  if (resources.length === 0) errs.push(required(p.child('resources'), 'resource rules must supply at least one resource'));
  else if (resources.length > 1 && hasWildcard(resources)) errs.push(invalid(p.child('resources'), resources, "if '*' is present, must not specify other resources"));
  const nss = arr(r.namespaces);
  if (nss.length === 0 && r.clusterScope !== true) {
    errs.push(required(p.child('namespaces'), 'resource rules that are not cluster scoped must supply at least one namespace'));
  } else if (hasWildcard(nss)) {
    if (nss.length > 1) errs.push(invalid(p.child('namespaces'), nss, "if '*' is present, must not specify other namespaces"));
  } else {
    nss.forEach((ns, i) => {
      for (const m of isDNS1123Label(String(ns))) errs.push(invalid(p.child('namespaces').index(i), ns, NS_ERR_INTRO + m));
    });
  }
  return errs;
}

function validateNonResourceRule(r: Obj, p: Path): FieldError[] {
  const errs = validateVerbs(arr(r.verbs), p.child('verbs'));
  const urls = arr(r.nonResourceURLs);
  if (urls.length === 0) errs.push(required(p.child('nonResourceURLs'), 'nonResourceURLs must contain at least one value'));
  else if (hasWildcard(urls) && urls.length > 1) errs.push(invalid(p.child('nonResourceURLs'), urls, "if '*' is present, must not specify other non-resource URLs"));
  return errs;
}

const SUBJECT_FIELDS: Record<string, string> = { ServiceAccount: 'serviceAccount', User: 'user', Group: 'group' };

function validateSubject(s: Obj, p: Path): FieldError[] {
  const own = SUBJECT_FIELDS[s?.kind];
  if (!own) return [notSupported(p.child('kind'), s?.kind ?? '', ['Group', 'ServiceAccount', 'User'])];
  const errs: FieldError[] = [];
  const v = s[own];
  if (!v) errs.push(required(p.child(own), `${own} is required when subject kind is '${s.kind}'`));
  else {
    if (!v.name) errs.push(required(p.child(own, 'name')));
    if (own === 'serviceAccount') {
      if (!v.namespace) errs.push(required(p.child(own, 'namespace'), 'must specify namespace for service account'));
      else for (const m of isDNS1123Label(v.namespace)) errs.push(invalid(p.child(own, 'namespace'), v.namespace, m));
    }
  }
  for (const [kind, field] of Object.entries(SUBJECT_FIELDS)) {
    if (field !== own && s[field]) errs.push(forbidden(p.child(field), `${field} is forbidden when subject kind is not '${kind}'`));
  }
  return errs;
}

function validateRule(rule: Obj, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const subjects = arr(rule.subjects);
  if (subjects.length === 0) errs.push(required(p.child('subjects'), 'subjects must contain at least one value'));
  subjects.forEach((s, i) => errs.push(...validateSubject(s, p.child('subjects').index(i))));
  const rr = arr(rule.resourceRules);
  const nr = arr(rule.nonResourceRules);
  if (rr.length === 0 && nr.length === 0) errs.push(required(p, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
  rr.forEach((r, i) => errs.push(...validateResourceRule(r, p.child('resourceRules').index(i))));
  nr.forEach((r, i) => errs.push(...validateNonResourceRule(r, p.child('nonResourceRules').index(i))));
  return errs;
}

/** ValidateFlowSchemaStatus / ValidatePriorityLevelConfigurationStatus: condition types non-empty and unique. */
export function validateConditions(status: Obj | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(status?.conditions).forEach((c, i) => {
    const cp = p.child('conditions').index(i);
    if (seen.has(c?.type)) errs.push(duplicate(cp.child('type'), c.type));
    seen.add(c?.type);
    if (!c?.type) errs.push(required(cp.child('type'), 'must not be empty'));
  });
  return errs;
}

export function validateFlowSchema(fs: Obj): FieldError[] {
  const errs = validateObjectMeta(fs.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = fs.spec ?? {};
  const mp = spec.matchingPrecedence ?? 0;
  if (mp <= 0) errs.push(invalid(sp.child('matchingPrecedence'), mp, 'must be a positive value'));
  if (mp > MAX_MATCHING_PRECEDENCE) errs.push(invalid(sp.child('matchingPrecedence'), mp, `must not be greater than ${MAX_MATCHING_PRECEDENCE}`));
  if (mp === 1 && fs.metadata?.name !== 'exempt') errs.push(invalid(sp.child('matchingPrecedence'), mp, "only the schema named 'exempt' may have matchingPrecedence 1"));
  if (spec.distinguisherMethod && !['ByNamespace', 'ByUser'].includes(spec.distinguisherMethod.type)) {
    errs.push(notSupported(sp.child('distinguisherMethod', 'type'), spec.distinguisherMethod.type ?? '', ['ByNamespace', 'ByUser']));
  }
  const pl = spec.priorityLevelConfiguration?.name;
  if (typeof pl === 'string' && pl !== '') for (const m of isDNS1123Subdomain(pl)) errs.push(invalid(sp.child('priorityLevelConfiguration', 'name'), pl, m));
  else errs.push(required(sp.child('priorityLevelConfiguration', 'name'), 'must reference a priority level'));
  arr(spec.rules).forEach((r, i) => errs.push(...validateRule(r, sp.child('rules').index(i))));
  errs.push(...validateConditions(fs.status, path('status')));
  return errs;
}

export function validateFlowSchemaUpdate(fs: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(fs.metadata, old.metadata), ...validateFlowSchema(fs).filter((e) => !e.field.startsWith('metadata.'))];
}

/** shufflesharding.RequiredEntropyBits: ceil(log2(deckSize^handSize)). */
function requiredEntropyBits(deck: number, hand: number): number {
  return Math.ceil(Math.log2(deck) * hand);
}

function validateQueuing(q: Obj, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const qll = q.queueLengthLimit ?? 0;
  const queues = q.queues ?? 0;
  const hand = q.handSize ?? 0;
  if (qll <= 0) errs.push(invalid(p.child('queueLengthLimit'), qll, 'must be positive'));
  if (queues <= 0) errs.push(invalid(p.child('queues'), queues, 'must be positive'));
  else if (queues > MAX_QUEUES) errs.push(invalid(p.child('queues'), queues, `must not be greater than ${MAX_QUEUES}`));
  if (hand <= 0) errs.push(invalid(p.child('handSize'), hand, 'must be positive'));
  else if (hand > queues) errs.push(invalid(p.child('handSize'), hand, `should not be greater than queues (${queues})`));
  else if (requiredEntropyBits(queues, hand) > MAX_HASH_BITS) {
    errs.push(invalid(p.child('handSize'), hand, `required entropy bits of deckSize ${queues} and handSize ${hand} should not be greater than ${MAX_HASH_BITS}`));
  }
  return errs;
}

function validateLimited(l: Obj, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const ncs = l.nominalConcurrencyShares ?? 0;
  // flowcontrol/v1 allows zero shares.
  if (ncs < 0) errs.push(invalid(p.child('nominalConcurrencyShares'), ncs, 'must be a non-negative integer'));
  const lr = l.limitResponse ?? {};
  const lp = p.child('limitResponse');
  if (lr.type === 'Reject') {
    if (lr.queuing) errs.push(forbidden(lp.child('queuing'), 'must be nil if limited.limitResponse.type is not Limited'));
  } else if (lr.type === 'Queue') {
    if (!lr.queuing) errs.push(required(lp.child('queuing'), 'must not be empty if limited.limitResponse.type is Limited'));
    else errs.push(...validateQueuing(lr.queuing, lp.child('queuing')));
  } else {
    errs.push(notSupported(lp.child('type'), lr.type ?? '', ['Queue', 'Reject']));
  }
  if (typeof l.lendablePercent === 'number' && (l.lendablePercent < 0 || l.lendablePercent > 100)) {
    errs.push(invalid(p.child('lendablePercent'), l.lendablePercent, 'must be between 0 and 100, inclusive'));
  }
  if (typeof l.borrowingLimitPercent === 'number' && l.borrowingLimitPercent < 0) {
    errs.push(invalid(p.child('borrowingLimitPercent'), l.borrowingLimitPercent, 'if specified, must be a non-negative integer'));
  }
  return errs;
}

export function validatePriorityLevelConfiguration(pl: Obj): FieldError[] {
  const errs = validateObjectMeta(pl.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const sp = path('spec');
  const spec = pl.spec ?? {};
  const name = pl.metadata?.name;
  if ((name === 'exempt') !== (spec.type === 'Exempt')) errs.push(invalid(sp.child('type'), spec.type ?? '', "type must be 'Exempt' if and only if name is 'exempt'"));
  if (spec.type === 'Exempt') {
    if (spec.limited) errs.push(forbidden(sp.child('limited'), 'must be nil if the type is not Limited'));
    const ex = spec.exempt ?? {};
    if (typeof ex.nominalConcurrencyShares === 'number' && ex.nominalConcurrencyShares < 0) {
      errs.push(invalid(sp.child('exempt', 'nominalConcurrencyShares'), ex.nominalConcurrencyShares, 'must be a non-negative integer'));
    }
    if (typeof ex.lendablePercent === 'number' && (ex.lendablePercent < 0 || ex.lendablePercent > 100)) {
      errs.push(invalid(sp.child('exempt', 'lendablePercent'), ex.lendablePercent, 'must be between 0 and 100, inclusive'));
    }
  } else if (spec.type === 'Limited') {
    if (spec.exempt) errs.push(forbidden(sp.child('exempt'), 'must be nil if the type is Limited'));
    if (!spec.limited) errs.push(required(sp.child('limited'), 'must not be empty when type is Limited'));
    else errs.push(...validateLimited(spec.limited, sp.child('limited')));
  } else {
    errs.push(notSupported(sp.child('type'), spec.type ?? '', ['Exempt', 'Limited']));
  }
  const mandatory = MANDATORY_PRIORITY_LEVELS.find((m) => m.metadata.name === name);
  if (mandatory && !semanticEqual(spec, mandatory.spec)) errs.push(invalid(sp, spec, `spec of '${name}' must equal the fixed value`));
  errs.push(...validateConditions(pl.status, path('status')));
  return errs;
}

export function validatePriorityLevelConfigurationUpdate(pl: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(pl.metadata, old.metadata), ...validatePriorityLevelConfiguration(pl).filter((e) => !e.field.startsWith('metadata.'))];
}
