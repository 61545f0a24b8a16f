/**
 * Type checking of a policy against the kinds it matches (upstream's validating TypeChecker, as
 * far as cel-js allows): field selections on `object`, `oldObject` and `params` are followed
 * through the built-in kinds' schemas, and a field a kind does not have is a warning in cel-go's
 * wording, e.g. "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicass'".
 * Kinds without a built-in schema (custom resources) are not checked. Warnings never change how
 * a policy is enforced.
 */
import type { ExpressionWarning, ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
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

type Resolved = { kind: 'object'; fields: Set<string>; types: Map<string, TypeRef> } | { kind: 'ref'; ref: TypeRef } | undefined;

function objectOf(schema: Schema, typeName: string, top: boolean): Resolved {
  const t = schema.type(typeName);
  if (!t) return undefined;
  const types = new Map(Object.entries(t.fields).map(([k, f]) => [k, f.type] as const));
  // TypeMeta is not in the proto messages but is on every top-level object.
  if (top) for (const k of ['apiVersion', 'kind']) types.set(k, { kind: 'scalar', scalar: 'string' });
  return { kind: 'object', fields: new Set(types.keys()), types };
}

function step(schema: Schema, r: Resolved, field: string | undefined): Resolved {
  if (!r) return undefined;
  const ref = r.kind === 'object' ? (field === undefined ? undefined : r.types.get(field)) : r.ref;
  if (!ref) return undefined;
  if (r.kind === 'ref') {
    // Indexing or selecting into a map or list: its value / item type.
    if (ref.kind === 'map') return wrap(schema, ref.value);
    if (ref.kind === 'list') return field === undefined ? wrap(schema, ref.item) : undefined;
    return undefined;
  }
  return wrap(schema, ref);
}

function wrap(schema: Schema, ref: TypeRef): Resolved {
  return ref.kind === 'object' ? objectOf(schema, ref.type, false) : { kind: 'ref', ref };
}

interface Issue {
  pos: number;
  message: string;
}

/** Resolves a select/index chain to its type, recording unknown fields. */
function resolve(schema: Schema, roots: Map<string, Resolved>, n: AstNode, issues: Issue[]): Resolved {
  if (n.op === 'id' && typeof n.args === 'string') return roots.get(n.args);
  if ((n.op === '.' || n.op === '.?') && Array.isArray(n.args)) {
    const [target, field] = n.args as [unknown, string];
    if (!isNode(target)) return undefined;
    const r = resolve(schema, roots, target, issues);
    if (r?.kind === 'object' && !r.fields.has(field)) {
      // cel-go places a selection at its dot.
      issues.push({ pos: n.pos - 1, message: `undefined field '${field}'` });
      return undefined;
    }
    if (r?.kind === 'object') return step(schema, r, field);
    if (r?.kind === 'ref' && r.ref.kind === 'map') return wrap(schema, r.ref.value);
    return undefined;
  }
  if ((n.op === '[]' || n.op === '[?]') && Array.isArray(n.args) && isNode(n.args[0])) {
    return step(schema, resolve(schema, roots, n.args[0], issues), undefined);
  }
  return undefined;
}

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** The type a comprehension's variable takes over a receiver: a list's items, a map's keys. */
function iterationType(schema: Schema, r: Resolved): Resolved {
  if (r?.kind !== 'ref') return r?.kind === 'object' ? { kind: 'ref', ref: { kind: 'scalar', scalar: 'string' } } : undefined;
  if (r.ref.kind === 'list') return wrap(schema, r.ref.item);
  if (r.ref.kind === 'map') return { kind: 'ref', ref: { kind: 'scalar', scalar: 'string' } };
  return undefined;
}

function collect(schema: Schema, roots: Map<string, Resolved>, ast: unknown): Issue[] {
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
      resolve(schema, scope, x, issues);
      if (issues.length > before) continue;
    }
    const args = x.args;
    if (x.op === 'rcall' && Array.isArray(args) && MACROS.has(args[0] as string) && isNode(args[1]) && Array.isArray(args[2])) {
      // list.all(c, body): c has the list's item type inside the body (upstream types it so).
      const [iterVar, ...bodies] = args[2] as unknown[];
      if (isNode(iterVar) && iterVar.op === 'id' && typeof iterVar.args === 'string') {
        const inner = new Map(scope);
        inner.set(iterVar.args, iterationType(schema, resolve(schema, scope, args[1], issues)));
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

function checkExpression(schema: Schema, expression: string, kinds: { gvk: Gvk; root: Resolved }[], params: Resolved): string {
  let ast: unknown;
  try {
    ast = policyEnv.parse(expression).ast;
  } catch {
    return ''; // Syntax errors are the compiler's to report, when the policy is evaluated.
  }
  const out: string[] = [];
  for (const { gvk, root } of kinds) {
    const roots = new Map<string, Resolved>([['object', root], ['oldObject', root], ['params', params]]);
    const issues = collect(schema, roots, ast);
    if (issues.length > 0) out.push(`${gvkString(gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version, gvk.kind)}: ${issues.map((i) => render(expression, i)).join('\n')}\n`);
  }
  return out.join('\n');
}

/** status.typeChecking.expressionWarnings for a policy (empty when nothing is wrong). */
export function typeCheckPolicy(p: ValidatingAdmissionPolicy, registry: ResourceRegistry | undefined, schema: Schema = loadSchema()): ExpressionWarning[] {
  const kinds = typesToCheck(p, registry)
    .map((gvk) => {
      const t = schema.typeNameForKind(gvk);
      return { gvk, root: t ? objectOf(schema, t, true) : undefined };
    })
    .filter((k) => k.root !== undefined);
  if (kinds.length === 0) return [];
  let params: Resolved;
  const pk = p.spec?.paramKind;
  if (pk?.apiVersion && pk.kind) {
    const slash = pk.apiVersion.indexOf('/');
    const t = schema.typeNameForKind({ group: slash < 0 ? '' : pk.apiVersion.slice(0, slash), version: pk.apiVersion.slice(slash + 1), kind: pk.kind });
    params = t ? objectOf(schema, t, true) : undefined;
  }
  const warnings: ExpressionWarning[] = [];
  (p.spec?.validations ?? []).forEach((v, i) => {
    const w = checkExpression(schema, v.expression, kinds, params);
    if (w) warnings.push({ fieldRef: `spec.validations[${i}].expression`, warning: w });
    if (!v.messageExpression) return;
    const m = checkExpression(schema, v.messageExpression, kinds, params);
    if (m) warnings.push({ fieldRef: `spec.validations[${i}].messageExpression`, warning: m });
  });
  return warnings;
}
