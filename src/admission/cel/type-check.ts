/**
 * Type checking of a policy against the kinds it matches (upstream's validating TypeChecker, as
 * far as cel-js allows): field selections on `object`, `oldObject` and `params` are followed
 * through the built-in kinds' schemas, and a field a kind does not have is a warning in cel-go's
 * wording, e.g. "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicass'".
 * Custom resources are checked against their CRD's structural schema (fields it preserves unknown
 * are not checked). Warnings never change how a policy is enforced.
 */
import type { ExpressionWarning, ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import { additionalSchema, itemSchema, type JSONSchemaProps } from '../../api/crd/json-schema-props.ts';
import { loadSchema } from '../../api/schema/schema.ts';
import type { Schema, TypeRef } from '../../api/schema/types.ts';
import { policyEnv } from './policy-env.ts';
import { gvkString } from './params.ts';

/** Upstream's maxTypesToCheck. */
const MAX_TYPES = 10;

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

interface AstNode {
  op: string;
  args: unknown;
  pos: number;
}
const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x;

/** The kinds a policy's resourceRules name without wildcards (upstream's typesToCheck), sorted. */
export function typesToCheck(p: ValidatingAdmissionPolicy, registry: ResourceRegistry | undefined): Gvk[] {
  const out = new Map<string, Gvk>();
  for (const rule of p.spec?.matchConstraints?.resourceRules ?? []) {
    const groups = rule.apiGroups ?? [];
    const versions = rule.apiVersions ?? [];
    if (groups.some((g) => g.includes('*')) || versions.some((v) => v.includes('*'))) continue;
    // kubernetes-types leaves out the fields NamedRuleWithOperations inlines from Rule.
    const resources = ((rule as { resources?: string[] }).resources ?? []).filter((r) => !/[*/]/.test(r));
    for (const g of [...groups].sort()) {
      for (const v of [...versions].sort()) {
        for (const r of [...resources].sort()) {
          const def = registry?.get(g, v, r);
          if (!def) continue;
          out.set(`${g}/${v}/${def.kind}`, { group: g, version: v, kind: def.kind });
          if (out.size === MAX_TYPES) return sortGvks([...out.values()]);
        }
      }
    }
  }
  return sortGvks([...out.values()]);
}

const sortGvks = (l: Gvk[]): Gvk[] => l.sort((a, b) => (a.group !== b.group ? (a.group < b.group ? -1 : 1) : a.version !== b.version ? (a.version < b.version ? -1 : 1) : a.kind < b.kind ? -1 : 1));

/**
 * What an expression's value is known to be: an object with known fields, a list, a map, a
 * scalar, or (undefined) anything at all, which is never checked. Children are resolved lazily.
 */
type Resolved =
  | { kind: 'object'; has(field: string): boolean; field(name: string): Resolved }
  | { kind: 'list'; item(): Resolved }
  | { kind: 'map'; value(): Resolved }
  | { kind: 'scalar' }
  | undefined;

const SCALAR: Resolved = { kind: 'scalar' };
const STRING_KEYS = (): Resolved => SCALAR;
const OBJECT_META = 'k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function fromRef(schema: Schema, ref: TypeRef): Resolved {
  switch (ref.kind) {
    case 'object':
      return fromType(schema, ref.type, false);
    case 'map':
      return { kind: 'map', value: () => fromRef(schema, ref.value) };
    case 'list':
      return { kind: 'list', item: () => fromRef(schema, ref.item) };
    case 'any':
      return undefined;
    default:
      return SCALAR;
  }
}

/** A built-in message type; a top-level kind also has TypeMeta, which is not in its proto. */
function fromType(schema: Schema, typeName: string, top: boolean): Resolved {
  const t = schema.type(typeName);
  if (!t) return undefined;
  const fields = new Map<string, TypeRef>(Object.entries(t.fields).map(([k, f]) => [k, f.type]));
  if (top) for (const k of ['apiVersion', 'kind']) fields.set(k, { kind: 'scalar', scalar: 'string' });
  return { kind: 'object', has: (f) => fields.has(f), field: (f) => fromRef(schema, fields.get(f)!) };
}

/** A custom resource's structural schema; fields it preserves unknown are anything. */
function fromJson(schema: Schema, s: JSONSchemaProps | undefined, top: boolean): Resolved {
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-embedded-resource'] || s['x-kubernetes-int-or-string']) return undefined;
  if (s.type === 'array') return { kind: 'list', item: () => fromJson(schema, itemSchema(s), false) };
  if (s.type !== 'object' && !s.properties) return s.type ? SCALAR : undefined;
  if (!s.properties) {
    const extra = additionalSchema(s);
    return extra ? { kind: 'map', value: () => fromJson(schema, extra, false) } : undefined;
  }
  const props = s.properties;
  const special = (f: string): Resolved => (f === 'metadata' ? fromType(schema, OBJECT_META, false) : SCALAR);
  const isSpecial = (f: string) => top && (f === 'apiVersion' || f === 'kind' || f === 'metadata');
  return {
    kind: 'object',
    has: (f) => Object.hasOwn(props, f) || isSpecial(f),
    field: (f) => (isSpecial(f) ? special(f) : fromJson(schema, props[f], false)),
  };
}

/** The type of a kind's objects: a built-in's schema, a custom resource's, or undefined. */
function kindType(schema: Schema, registry: ResourceRegistry | undefined, gvk: Gvk): Resolved {
  const t = schema.typeNameForKind(gvk);
  if (t) return fromType(schema, t, true);
  const def = registry?.byKind(gvk.group, gvk.version, gvk.kind);
  return def?.custom?.schema ? fromJson(schema, def.custom.schema as JSONSchemaProps, true) : undefined;
}

interface Issue {
  pos: number;
  message: string;
}

/** Resolves a select/index chain to its type, recording unknown fields. */
function resolve(roots: Map<string, Resolved>, n: AstNode, issues: Issue[]): Resolved {
  if (n.op === 'id' && typeof n.args === 'string') return roots.get(n.args);
  if ((n.op === '.' || n.op === '.?') && Array.isArray(n.args)) {
    const [target, field] = n.args as [unknown, string];
    if (!isNode(target)) return undefined;
    const r = resolve(roots, target, issues);
    if (r?.kind === 'object') {
      if (r.has(field)) return r.field(field);
      // cel-go places a selection at its dot.
      issues.push({ pos: n.pos - 1, message: `undefined field '${field}'` });
      return undefined;
    }
    return r?.kind === 'map' ? r.value() : undefined;
  }
  if ((n.op === '[]' || n.op === '[?]') && Array.isArray(n.args) && isNode(n.args[0])) {
    const r = resolve(roots, n.args[0], issues);
    return r?.kind === 'list' ? r.item() : r?.kind === 'map' ? r.value() : undefined;
  }
  return undefined;
}

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** The type a comprehension's variable takes over a receiver: a list's items, a map's (or object's) keys. */
function iterationType(r: Resolved): Resolved {
  if (r?.kind === 'list') return r.item();
  return r?.kind === 'map' || r?.kind === 'object' ? STRING_KEYS() : undefined;
}

function collect(roots: Map<string, Resolved>, ast: unknown): Issue[] {
  const issues: Issue[] = [];
  const stack: { x: unknown; roots: Map<string, Resolved> }[] = [{ x: ast, roots }];
  while (stack.length > 0) {
    const { x, roots: scope } = stack.pop()!;
    if (Array.isArray(x)) {
      for (const y of x) stack.push({ x: y, roots: scope });
      continue;
    }
    if (!isNode(x)) continue;
    if (x.op === '.' || x.op === '.?' || x.op === '[]' || x.op === '[?]') {
      // The outermost chain is resolved whole; its inner parts are checked on the way down.
      const before = issues.length;
      resolve(scope, x, issues);
      if (issues.length > before) continue;
    }
    const args = x.args;
    if (x.op === 'rcall' && Array.isArray(args) && MACROS.has(args[0] as string) && isNode(args[1]) && Array.isArray(args[2])) {
      // list.all(c, body): c has the list's item type inside the body (upstream types it so).
      const [iterVar, ...bodies] = args[2] as unknown[];
      if (isNode(iterVar) && iterVar.op === 'id' && typeof iterVar.args === 'string') {
        const inner = new Map(scope);
        inner.set(iterVar.args, iterationType(resolve(scope, args[1], issues)));
        stack.push({ x: args[1], roots: scope });
        for (const b of bodies) stack.push({ x: b, roots: inner });
        continue;
      }
    }
    stack.push({ x: args, roots: scope });
  }
  const seen = new Set<string>();
  return issues.sort((a, b) => a.pos - b.pos).filter((i) => !seen.has(`${i.pos}`) && !!seen.add(`${i.pos}`));
}

/** cel-go's issue rendering: location, message, the source line and a caret under the column. */
function render(expression: string, issue: Issue): string {
  const before = expression.slice(0, issue.pos);
  const line = before.split('\n').length;
  const col = issue.pos - (before.lastIndexOf('\n') + 1);
  const src = (expression.split('\n')[line - 1] ?? '').replace(/\t/g, ' ');
  return `ERROR: <input>:${line}:${col + 1}: ${issue.message}\n | ${src}\n | ${'.'.repeat(col)}^`;
}

function checkExpression(expression: string, kinds: { gvk: Gvk; root: Resolved }[], params: Resolved): string {
  let ast: unknown;
  try {
    ast = policyEnv.parse(expression).ast;
  } catch {
    return ''; // Syntax errors are the compiler's to report, when the policy is evaluated.
  }
  const out: string[] = [];
  for (const { gvk, root } of kinds) {
    const roots = new Map<string, Resolved>([['object', root], ['oldObject', root], ['params', params]]);
    const issues = collect(roots, ast);
    if (issues.length > 0) out.push(`${gvkString(gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version, gvk.kind)}: ${issues.map((i) => render(expression, i)).join('\n')}\n`);
  }
  return out.join('\n');
}

/** status.typeChecking.expressionWarnings for a policy (empty when nothing is wrong). */
export function typeCheckPolicy(p: ValidatingAdmissionPolicy, registry: ResourceRegistry | undefined, schema: Schema = loadSchema()): ExpressionWarning[] {
  const kinds = typesToCheck(p, registry)
    .map((gvk) => ({ gvk, root: kindType(schema, registry, gvk) }))
    .filter((k) => k.root !== undefined);
  if (kinds.length === 0) return [];
  let params: Resolved;
  const pk = p.spec?.paramKind;
  if (pk?.apiVersion && pk.kind) {
    const slash = pk.apiVersion.indexOf('/');
    params = kindType(schema, registry, { group: slash < 0 ? '' : pk.apiVersion.slice(0, slash), version: pk.apiVersion.slice(slash + 1), kind: pk.kind });
  }
  const warnings: ExpressionWarning[] = [];
  (p.spec?.validations ?? []).forEach((v, i) => {
    const w = checkExpression(v.expression, kinds, params);
    if (w) warnings.push({ fieldRef: `spec.validations[${i}].expression`, warning: w });
    if (!v.messageExpression) return;
    const m = checkExpression(v.messageExpression, kinds, params);
    if (m) warnings.push({ fieldRef: `spec.validations[${i}].messageExpression`, warning: m });
  });
  return warnings;
}
