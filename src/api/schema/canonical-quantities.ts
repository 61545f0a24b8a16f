/**
 * Every resource.Quantity field of a built-in object rewritten in its canonical text
 * (quantity.ts), as decoding into the Go struct and encoding again does upstream: a
 * pod's requests "0.5" are stored, served and shown to admission webhooks as "500m". A number
 * becomes its string. A value that does not parse is left for the type check to refuse. Custom
 * resources are not touched (their quantities are plain JSON, kept as written).
 *
 * The walk visits only fields whose type can hold a quantity (worked out once per type), so a
 * pod's metadata, env, probes and the like are not walked at all.
 */
import { canonicalQuantity } from '../quantity.ts';
import type { Schema, TypeRef } from './types.ts';

/** A compiled walk: only the parts of a type that can hold a quantity. */
type Node = { k: 'quantity' } | { k: 'list'; item: Node } | { k: 'map'; value: Node } | { k: 'object'; plan: Plan };

interface Plan {
  /** The fields of the type that can hold a quantity, and their walks. */
  keys: string[];
  nodes: Node[];
}

interface Plans {
  plans: Map<string, Plan | null>;
  /** Types known to hold (true) or not to hold (false) a quantity. */
  reach: Map<string, boolean>;
}

const bySchema = new WeakMap<Schema, Plans>();

function plansOf(schema: Schema): Plans {
  let p = bySchema.get(schema);
  if (!p) {
    p = { plans: new Map(), reach: new Map() };
    bySchema.set(schema, p);
  }
  return p;
}

/** Whether a value of `ref` can hold a quantity; `open` are the types being worked out. */
function refReaches(schema: Schema, p: Plans, ref: TypeRef, open: Set<string>): { yes: boolean; cycle: boolean } {
  switch (ref.kind) {
    case 'quantity':
      return { yes: true, cycle: false };
    case 'list':
      return refReaches(schema, p, ref.item, open);
    case 'map':
      return refReaches(schema, p, ref.value, open);
    case 'object':
      return typeReaches(schema, p, ref.type, open);
    default:
      return { yes: false, cycle: false };
  }
}

function typeReaches(schema: Schema, p: Plans, name: string, open: Set<string>): { yes: boolean; cycle: boolean } {
  const known = p.reach.get(name);
  if (known !== undefined) return { yes: known, cycle: false };
  if (open.has(name)) return { yes: false, cycle: true };
  const t = schema.type(name);
  if (!t) return { yes: false, cycle: false };
  open.add(name);
  let cycle = false;
  let yes = false;
  for (const f of Object.values(t.fields)) {
    const r = refReaches(schema, p, f.type, open);
    cycle ||= r.cycle;
    if (r.yes) {
      yes = true;
      break;
    }
  }
  open.delete(name);
  // A "no" that leaned on a type still being worked out may be wrong: kept only when final.
  if (yes || !cycle || open.size === 0) p.reach.set(name, yes);
  return { yes, cycle: cycle && !yes };
}

/** The walk of a value of `ref`, or undefined when it cannot hold a quantity. */
function nodeOf(schema: Schema, p: Plans, ref: TypeRef): Node | undefined {
  switch (ref.kind) {
    case 'quantity':
      return QUANTITY;
    case 'list': {
      const item = nodeOf(schema, p, ref.item);
      return item && { k: 'list', item };
    }
    case 'map': {
      const value = nodeOf(schema, p, ref.value);
      return value && { k: 'map', value };
    }
    case 'object': {
      const t = schema.type(ref.type);
      // A go-to-protobuf list wrapper is a plain list in JSON.
      const items = t?.listWrapper ? t.fields.items : undefined;
      if (items) return nodeOf(schema, p, items.type);
      const plan = planOf(schema, p, ref.type);
      return plan ? { k: 'object', plan } : undefined;
    }
    default:
      return undefined;
  }
}

const QUANTITY: Node = { k: 'quantity' };

function planOf(schema: Schema, p: Plans, name: string): Plan | null {
  const known = p.plans.get(name);
  if (known !== undefined) return known;
  const t = schema.type(name);
  if (!t || !typeReaches(schema, p, name, new Set()).yes) {
    p.plans.set(name, null);
    return null;
  }
  // Registered before its fields are compiled, so a recursive type refers to itself.
  const plan: Plan = { keys: [], nodes: [] };
  p.plans.set(name, plan);
  for (const [key, f] of Object.entries(t.fields)) {
    const node = nodeOf(schema, p, f.type);
    if (!node) continue;
    plan.keys.push(key);
    plan.nodes.push(node);
  }
  return plan;
}

/** Rewrites, in place, the quantities of `obj`, an object of the schema type `typeName`. */
export function canonicalizeQuantities(schema: Schema, typeName: string, obj: unknown): void {
  const plan = planOf(schema, plansOf(schema), typeName);
  if (plan) walkObject(plan, obj);
}

function walkObject(plan: Plan, obj: unknown): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
  const o = obj as Record<string, unknown>;
  const { keys, nodes } = plan;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (o[key] !== undefined && Object.hasOwn(o, key)) walk(nodes[i]!, o, key);
  }
}

function walk(node: Node, holder: Record<string, unknown> | unknown[], key: string | number): void {
  const v = (holder as Record<string | number, unknown>)[key];
  if (v === null || v === undefined) return;
  switch (node.k) {
    case 'quantity': {
      if (typeof v !== 'string' && typeof v !== 'number') return;
      const c = canonicalQuantity(typeof v === 'string' ? v.trim() : String(v));
      if (c !== undefined && c !== v && !Object.isFrozen(holder)) (holder as Record<string | number, unknown>)[key] = c;
      return;
    }
    case 'list':
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(node.item, v, i);
      return;
    case 'map':
      if (typeof v === 'object' && !Array.isArray(v)) for (const k in v) if (Object.hasOwn(v, k)) walk(node.value, v as Record<string, unknown>, k);
      return;
    case 'object':
      walkObject(node.plan, v);
      return;
  }
}
