/**
 * An access review's spec.resourceAttributes.fieldSelector / labelSelector (authorization.k8s.io/v1,
 * 1.31+): validated as upstream's validateFieldSelectorAttributes / validateLabelSelectorAttributes
 * and turned into the same authorization attributes a request's selectors give
 * (pkg/registry/authorization/util ResourceAttributesFrom). A requirement that cannot be
 * converted is dropped with its error kept, as upstream: requirements are ANDed, so dropping one
 * only asks a broader question, which an authorizer that needs it (Node) refuses.
 */
import type { FieldRequirement } from '../api/selectors/field-selector.ts';
import { newRequirement, type Operator, type Requirement } from '../api/selectors/label-selector.ts';
import { forbidden, invalid, path, required, type FieldError, type Path } from '../api/validation/field-errors.ts';
import { isQualifiedName } from '../api/validation/names.ts';
import { selectorAttributes, type SelectorAttributes } from './selector-attributes.ts';
import { aggregateMessage } from '../util/aggregate-error.ts';

type Obj = Record<string, unknown>;
export interface ReviewRequirement {
  key: string;
  operator: string;
  /** Absent on the wire for Exists / DoesNotExist. */
  values?: string[];
}
interface ReviewSelector {
  rawSelector: string;
  requirements: Required<ReviewRequirement>[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function selector(v: unknown): ReviewSelector | undefined {
  if (!isObj(v)) return undefined;
  const reqs = Array.isArray(v.requirements) ? v.requirements : [];
  return {
    rawSelector: typeof v.rawSelector === 'string' ? v.rawSelector : '',
    requirements: reqs.map((r) => (isObj(r) ? r : {})).map((r): Required<ReviewRequirement> => ({
      key: typeof r.key === 'string' ? r.key : '',
      operator: typeof r.operator === 'string' ? r.operator : '',
      values: Array.isArray(r.values) ? r.values.map(String) : [],
    })),
  };
}

/** The field errors upstream's SubjectAccessReview validation gives for the two selectors. */
export function validateReviewSelectors(ra: Obj, base: Path = path('spec.resourceAttributes')): FieldError[] {
  const errs: FieldError[] = [];
  for (const name of ['fieldSelector', 'labelSelector'] as const) {
    const s = selector(ra[name]);
    if (!s) continue;
    const p = base.child(name);
    if (s.rawSelector && s.requirements.length > 0) errs.push(invalid(p.child('rawSelector'), s.rawSelector, 'may not specified at the same time as requirements'));
    if (!s.rawSelector && s.requirements.length === 0) errs.push(required(p.child('requirements'), `when ${p} is specified, requirements or rawSelector is required`));
    s.requirements.forEach((r, i) => {
      const rp = p.child('requirements').index(i);
      // Field keys are paths: only required. Label keys are label names.
      if (name === 'fieldSelector' && !r.key) errs.push(required(rp.child('key'), 'must be specified'));
      if ((r.operator === 'In' || r.operator === 'NotIn') && r.values.length === 0) errs.push(required(rp.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && r.values.length > 0) errs.push(forbidden(rp.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      // Unknown operators pass (AllowUnknownOperatorInRequirement: newer clients may know more).
      if (name === 'labelSelector') for (const m of isQualifiedName(r.key)) errs.push(invalid(rp.child('key'), r.key, m));
    });
  }
  return errs;
}

/** The selector attributes a validated review asks about (rawSelector and requirements never both). */
export function reviewSelectorAttributes(ra: Obj): SelectorAttributes {
  const fs = selector(ra.fieldSelector);
  const ls = selector(ra.labelSelector);
  const out = selectorAttributes({ fieldSelector: fs?.rawSelector, labelSelector: ls?.rawSelector });
  if (fs && fs.requirements.length > 0) {
    const [reqs, error] = convert(fs.requirements, fieldRequirement);
    if (reqs.length > 0) out.fieldSelector = reqs;
    if (error) out.fieldSelectorError = error;
  }
  if (ls && ls.requirements.length > 0) {
    const [reqs, error] = convert(ls.requirements, labelRequirement);
    if (reqs.length > 0) out.labelSelector = reqs;
    if (error) out.labelSelectorError = error;
  }
  return out;
}

/** Each requirement converted or its error; the errors aggregated as utilerrors.NewAggregate prints them. */
function convert<T>(reqs: Required<ReviewRequirement>[], one: (r: Required<ReviewRequirement>) => T): [T[], string | undefined] {
  const out: T[] = [];
  const errs: string[] = [];
  for (const r of reqs) {
    try {
      out.push(one(r));
    } catch (e) {
      errs.push(e instanceof Error ? e.message : String(e));
    }
  }
  return [out, aggregateMessage(errs)];
}

function fieldRequirement(r: Required<ReviewRequirement>): FieldRequirement {
  if (r.values.length > 1) throw new Error('fieldSelectors do not yet support multiple values');
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (r.values.length !== 1) throw new Error(`fieldSelectors ${r.operator === 'In' ? 'in' : 'not in'} must have one value`);
      return { field: r.key, operator: r.operator === 'In' ? '=' : '!=', value: r.values[0]! };
    case 'Exists':
    case 'DoesNotExist':
      throw new Error(`fieldSelectors do not yet support ${r.operator}`);
    default:
      throw new Error(`${JSON.stringify(r.operator)} is not a valid field selector operator`);
  }
}

const LABEL_OPERATORS: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

function labelRequirement(r: Required<ReviewRequirement>): Requirement {
  const op = LABEL_OPERATORS[r.operator];
  if (!op) throw new Error(`${JSON.stringify(r.operator)} is not a valid label selector operator`);
  return newRequirement(r.key, op, r.values);
}

/** The requirements a SubjectAccessReview carries (authorization/v1 FieldSelectorAttributes / LabelSelectorAttributes). */
export interface ReviewSelectors {
  fieldSelector?: { requirements: ReviewRequirement[] };
  labelSelector?: { requirements: ReviewRequirement[] };
}

const TO_REVIEW_LABEL_OPERATOR: Partial<Record<Operator, string>> = { '=': 'In', '==': 'In', in: 'In', '!=': 'NotIn', notin: 'NotIn', exists: 'Exists', '!': 'DoesNotExist' };

/**
 * The other way, for a webhook authorizer's SubjectAccessReview (upstream webhook.go
 * resourceAttributesFrom): requirements only, never the raw text; one the review API cannot say
 * (a label gt/lt) is left out, which only asks a broader question.
 */
export function reviewSelectorsOf(a: SelectorAttributes): ReviewSelectors {
  const out: ReviewSelectors = {};
  const fields = (a.fieldSelector ?? []).map((r) => ({ key: r.field, operator: r.operator === '=' ? 'In' : 'NotIn', values: [r.value] }));
  if (fields.length > 0) out.fieldSelector = { requirements: fields };
  const labels: ReviewRequirement[] = [];
  for (const r of a.labelSelector ?? []) {
    const operator = TO_REVIEW_LABEL_OPERATOR[r.operator];
    if (operator) labels.push(r.values.length > 0 ? { key: r.key, operator, values: [...r.values] } : { key: r.key, operator });
  }
  if (labels.length > 0) out.labelSelector = { requirements: labels };
  return out;
}
