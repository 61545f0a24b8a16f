/**
 * The part of client-go's JSONPath that CRD printer columns use: fields (.a, ['a.b']), indexes and
 * slices ([0], [-1], [1:3]), wildcards ([*], .*), recursive descent (..a) and filters
 * ([?(@.type=="Ready")], [?(@.x)], with == != < <= > >=). Missing keys yield no result, as with
 * AllowMissingKeys(true). A path outside this subset fails to compile.
 */

type Step =
  | { op: 'field'; name: string }
  | { op: 'wild' }
  | { op: 'recurse'; name: string | undefined }
  | { op: 'slice'; start: number | undefined; end: number | undefined; step: number | undefined; single: boolean }
  | { op: 'filter'; left: Step[]; cmp: string | undefined; right: unknown };

export type JsonPath = (root: unknown) => unknown[];

class PathError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Compiles a column's path (".spec.replicas", optionally wrapped in braces); throws on a path outside the subset. */
export function compileJsonPath(path: string): JsonPath {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$')) p = p.slice(1);
  const steps = parseSteps(p, 0, p.length);
  return (root) => evaluate(steps, [root]);
}

function parseSteps(s: string, from: number, to: number): Step[] {
  const steps: Step[] = [];
  let i = from;
  while (i < to) {
    const c = s[i];
    if (c === '.') {
      if (s[i + 1] === '.') {
        const [name, next] = readName(s, i + 2, to);
        steps.push({ op: 'recurse', name: name === '' || name === '*' ? undefined : name });
        i = next;
        continue;
      }
      const [name, next] = readName(s, i + 1, to);
      if (name === '*') steps.push({ op: 'wild' });
      else if (name !== '') steps.push({ op: 'field', name });
      i = next;
    } else if (c === '[') {
      const close = findClose(s, i, to);
      steps.push(parseBracket(s.slice(i + 1, close).trim()));
      i = close + 1;
    } else if (c === ' ') {
      i++;
    } else {
      throw new PathError(`unexpected ${JSON.stringify(c)} in JSONPath`);
    }
  }
  return steps;
}

function readName(s: string, from: number, to: number): [string, number] {
  let name = '';
  let i = from;
  while (i < to && s[i] !== '.' && s[i] !== '[' && s[i] !== ' ') {
    // A backslash escapes a dot inside a field name.
    if (s[i] === '\\' && s[i + 1] === '.') {
      name += '.';
      i += 2;
      continue;
    }
    name += s[i];
    i++;
  }
  return [name, i];
}

function findClose(s: string, open: number, to: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < to; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0 && c === ']') return i;
    }
  }
  throw new PathError('unclosed [ in JSONPath');
}

function parseBracket(inner: string): Step {
  if (inner === '*') return { op: 'wild' };
  const quoted = /^(['"])(.*)\1$/s.exec(inner);
  if (quoted) return { op: 'field', name: (quoted[2] ?? '').replace(/\\(.)/g, '$1') };
  if (inner.startsWith('?(') && inner.endsWith(')')) return parseFilter(inner.slice(2, -1).trim());
  const m = /^(-?\d+)?(?:(:)(-?\d+)?(?::(-?\d+)?)?)?$/.exec(inner);
  if (!m || inner === '') throw new PathError(`unsupported JSONPath subscript [${inner}]`);
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  return { op: 'slice', start: num(m[1]), end: num(m[3]), step: num(m[4]), single: m[2] === undefined };
}

function parseFilter(expr: string): Step {
  const m = /^@((?:\.[^\s=!<>]+|\[[^\]]*\])*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(expr);
  if (!m) throw new PathError(`unsupported JSONPath filter ${expr}`);
  const left = parseSteps(m[1] ?? '', 0, (m[1] ?? '').length);
  if (m[2] === undefined) return { op: 'filter', left, cmp: undefined, right: undefined };
  return { op: 'filter', left, cmp: m[2], right: literal((m[3] ?? '').trim()) };
}

function literal(text: string): unknown {
  const q = /^(['"])(.*)\1$/s.exec(text);
  if (q) return q[2];
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'nil' || text === 'null') return null;
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
  throw new PathError(`unsupported JSONPath literal ${text}`);
}

function evaluate(steps: Step[], input: unknown[]): unknown[] {
  let cur = input;
  for (const step of steps) cur = cur.flatMap((v) => apply(step, v));
  return cur;
}

function apply(step: Step, v: unknown): unknown[] {
  switch (step.op) {
    case 'field':
      return isObj(v) && Object.hasOwn(v, step.name) ? [v[step.name]] : [];
    case 'wild':
      if (Array.isArray(v)) return v;
      return isObj(v) ? Object.keys(v).sort().map((k) => v[k]) : [];
    case 'recurse':
      return descend(v).flatMap((x) => (step.name === undefined ? [x] : apply({ op: 'field', name: step.name }, x)));
    case 'slice':
      return Array.isArray(v) ? slice(step, v) : [];
    case 'filter':
      return Array.isArray(v) ? v.filter((el) => matches(step, el)) : [];
  }
}

function descend(v: unknown): unknown[] {
  const out: unknown[] = [v];
  if (Array.isArray(v)) for (const x of v) out.push(...descend(x));
  else if (isObj(v)) for (const k of Object.keys(v).sort()) out.push(...descend(v[k]));
  return out;
}

function slice(step: Extract<Step, { op: 'slice' }>, a: unknown[]): unknown[] {
  const n = a.length;
  const norm = (i: number): number => (i < 0 ? i + n : i);
  if (step.single) {
    const i = norm(step.start ?? 0);
    return i >= 0 && i < n ? [a[i]] : [];
  }
  const start = Math.max(0, Math.min(n, norm(step.start ?? 0)));
  const end = Math.max(0, Math.min(n, norm(step.end ?? n)));
  const by = step.step ?? 1;
  if (by <= 0) return [];
  const out: unknown[] = [];
  for (let i = start; i < end; i += by) out.push(a[i]);
  return out;
}

function matches(step: Extract<Step, { op: 'filter' }>, el: unknown): boolean {
  const found = evaluate(step.left, [el]);
  if (step.cmp === undefined) return found.length > 0;
  return found.some((x) => compare(x, step.cmp ?? '==', step.right));
}

function compare(a: unknown, cmp: string, b: unknown): boolean {
  if (cmp === '==') return a === b;
  if (cmp === '!=') return a !== b;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a as number | string;
  const y = b as number | string;
  if (cmp === '<') return x < y;
  if (cmp === '<=') return x <= y;
  if (cmp === '>') return x > y;
  return x >= y;
}
