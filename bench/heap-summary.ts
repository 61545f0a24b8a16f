/**
 * Reads a V8 heap snapshot (v8.writeHeapSnapshot, --heapsnapshot-signal) and prints where the
 * memory is: self size by kind of object, and the dominator tree (what each holder retains: the
 * memory that would go if it went) down to holders of at least MIN_MIB, as DevTools' "Retained
 * size". Dominators by Cooper, Harvey and Kennedy's iterative algorithm; weak edges (WeakMap keys,
 * weak references) retain nothing, as in DevTools. For snapshots of a few hundred MiB (the whole
 * file is parsed): take them at a few thousand pods and scale per pod.
 * Usage: node --max-old-space-size=8192 bench/heap-summary.ts FILE [MIN_MIB=1] [DEPTH=12]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] }; node_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: heap-summary.ts FILE [MIN_MIB] [DEPTH]');
const MIN = Number(process.argv[3] ?? 1) * 1048576;
const DEPTH = Number(process.argv[4] ?? 12);

const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nType = meta.node_fields.indexOf('type');
const nName = meta.node_fields.indexOf('name');
const nSelf = meta.node_fields.indexOf('self_size');
const nEdges = meta.node_fields.indexOf('edge_count');
const eType = meta.edge_fields.indexOf('type');
const eName = meta.edge_fields.indexOf('name_or_index');
const eTo = meta.edge_fields.indexOf('to_node');
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const WEAK = edgeTypes.indexOf('weak');
const SHORTCUT = edgeTypes.indexOf('shortcut');
const ELEMENT = edgeTypes.indexOf('element');
const HIDDEN = edgeTypes.indexOf('hidden');
const { nodes, edges, strings } = snap;
const N = nodes.length / NF;

const firstEdge = new Uint32Array(N + 1);
for (let i = 0; i < N; i++) firstEdge[i + 1] = firstEdge[i]! + nodes[i * NF + nEdges]!;
const target = (e: number): number => edges[e * EF + eTo]! / NF;

/**
 * A WeakMap's table holds each value by an internal edge named "part of key (K @id) -> value
 * (V @id) pair in WeakMap", but the value lives only as long as its key (an ephemeron): the
 * retaining edge is moved to the key, else a WeakMap would seem to own every value it annotates
 * (a cache of encodings beside the objects it encodes).
 */
const nId = meta.node_fields.indexOf('id');
const indexOfId = new Map<number, number>();
for (let i = 0; i < N; i++) indexOfId.set(nodes[i * NF + nId]!, i);
const ephemeronKey = new Int32Array(strings.length).fill(-1);
strings.forEach((s, i) => {
  const m = /part of key \(.*? @(\d+)\) -> value .* pair in WeakMap/.exec(s);
  if (m) ephemeronKey[i] = indexOfId.get(Number(m[1])) ?? -1;
});
const named = (t: number): boolean => t !== ELEMENT && t !== HIDDEN;

// The retaining edges as adjacency lists (weak and shortcut edges retain nothing).
const outStart = new Uint32Array(N + 1);
const extra: number[] = []; // [key, value] pairs
for (let v = 0; v < N; v++) {
  for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) {
    const t = edges[e * EF + eType]!;
    if (t === WEAK || t === SHORTCUT) continue;
    const key = named(t) ? ephemeronKey[edges[e * EF + eName]!]! : -1;
    if (key >= 0) extra.push(key, target(e));
    else outStart[v + 1]!++;
  }
}
for (let i = 0; i < extra.length; i += 2) outStart[extra[i]! + 1]!++;
for (let i = 0; i < N; i++) outStart[i + 1]! += outStart[i]!;
const outTo = new Uint32Array(outStart[N]!);
{
  const fill = outStart.slice(0, N);
  for (let v = 0; v < N; v++) {
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e++) {
      const t = edges[e * EF + eType]!;
      if (t === WEAK || t === SHORTCUT) continue;
      if (named(t) && ephemeronKey[edges[e * EF + eName]!]! >= 0) continue;
      outTo[fill[v]!++] = target(e);
    }
  }
  for (let i = 0; i < extra.length; i += 2) outTo[fill[extra[i]!]!++] = extra[i + 1]!;
}

// Depth-first postorder from the root (node 0), iteratively.
const post = new Int32Array(N).fill(-1);
const order = new Uint32Array(N);
let count = 0;
{
  const stack = new Uint32Array(N);
  const next = new Uint32Array(N);
  const seen = new Uint8Array(N);
  let sp = 0;
  stack[sp++] = 0;
  seen[0] = 1;
  next[0] = outStart[0]!;
  while (sp > 0) {
    const v = stack[sp - 1]!;
    let pushed = false;
    while (next[v]! < outStart[v + 1]!) {
      const w = outTo[next[v]!++]!;
      if (seen[w]) continue;
      seen[w] = 1;
      next[w] = outStart[w]!;
      stack[sp++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      sp--;
      post[v] = count;
      order[count++] = v;
    }
  }
}

// Predecessors (reachable ones only), as CSR.
const predCount = new Uint32Array(N + 1);
for (let v = 0; v < N; v++) {
  if (post[v]! < 0) continue;
  for (let j = outStart[v]!; j < outStart[v + 1]!; j++) predCount[outTo[j]! + 1]!++;
}
for (let i = 0; i < N; i++) predCount[i + 1]! += predCount[i]!;
const preds = new Uint32Array(predCount[N]!);
{
  const fill = predCount.slice(0, N);
  for (let v = 0; v < N; v++) {
    if (post[v]! < 0) continue;
    for (let j = outStart[v]!; j < outStart[v + 1]!; j++) preds[fill[outTo[j]!]!++] = v;
  }
}

const idom = new Int32Array(N).fill(-1);
idom[0] = 0;
const intersect = (a: number, b: number): number => {
  while (a !== b) {
    while (post[a]! < post[b]!) a = idom[a]!;
    while (post[b]! < post[a]!) b = idom[b]!;
  }
  return a;
};
for (let changed = true; changed; ) {
  changed = false;
  for (let i = count - 1; i >= 0; i--) {
    const v = order[i]!;
    if (v === 0) continue;
    let d = -1;
    for (let p = predCount[v]!; p < predCount[v + 1]!; p++) {
      const u = preds[p]!;
      if (idom[u]! < 0) continue;
      d = d < 0 ? u : intersect(u, d);
    }
    if (d >= 0 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}

const retained = new Float64Array(N);
for (let i = 0; i < count; i++) {
  const v = order[i]!;
  retained[v]! += nodes[v * NF + nSelf]!;
  if (v !== 0) retained[idom[v]!]! += retained[v]!;
}

const label = (v: number): string => `${nodeTypes[nodes[v * NF + nType]!]}:${strings[nodes[v * NF + nName]!]!.slice(0, 60).replace(/\s+/g, ' ')}`;
const mb = (b: number): string => (b / 1048576).toFixed(1);

// Self size by kind.
const byKind = new Map<string, { n: number; bytes: number }>();
for (let i = 0; i < count; i++) {
  const v = order[i]!;
  const t = nodeTypes[nodes[v * NF + nType]!]!;
  const k = t === 'object' || t === 'closure' || t === 'hidden' || t === 'array' || t === 'native' ? label(v) : t;
  const s = byKind.get(k) ?? { n: 0, bytes: 0 };
  s.n++;
  s.bytes += nodes[v * NF + nSelf]!;
  byKind.set(k, s);
}
console.log(`reachable ${count} of ${N} nodes, ${mb(retained[0]!)} MiB`);
console.log('\nself size by kind (MiB, count):');
for (const [k, s] of [...byKind].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 30)) console.log(`  ${mb(s.bytes).padStart(8)}  ${String(s.n).padStart(9)}  ${k}`);

// The dominator tree, children by retained size, with the name of an edge that reaches them.
const children = new Map<number, number[]>();
for (let i = 0; i < count; i++) {
  const v = order[i]!;
  if (v === 0 || retained[v]! < MIN) continue;
  const d = idom[v]!;
  (children.get(d) ?? children.set(d, []).get(d)!).push(v);
}
const edgeName = (from: number, to: number): string => {
  for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e++) {
    if (target(e) !== to) continue;
    const t = edges[e * EF + eType]!;
    const n = edges[e * EF + eName]!;
    return t === ELEMENT || t === HIDDEN ? `[${n}]` : String(strings[n]);
  }
  return '~';
};
console.log(`\ndominator tree (retained MiB), holders >= ${mb(MIN)} MiB:`);
const walk = (v: number, depth: number): void => {
  const kids = (children.get(v) ?? []).sort((a, b) => retained[b]! - retained[a]!);
  for (const c of kids) {
    console.log(`${'  '.repeat(depth)}${mb(retained[c]!).padStart(8)}  ${edgeName(v, c).slice(0, 40)} -> ${label(c)}`);
    if (depth < DEPTH) walk(c, depth + 1);
  }
};
walk(0, 1);

// What the root "dominates" is memory with more than one holder: name the holders.
const shared = new Map<string, { n: number; bytes: number }>();
const holderName = (u: number): string => (idom[u] === 0 ? label(u) : `${label(idom[u]!)}>${label(u)}`);
for (let i = 0; i < count; i++) {
  const v = order[i]!;
  if (v === 0 || idom[v] !== 0 || retained[v]! < 256) continue;
  const holders = new Set<string>();
  for (let p = predCount[v]!; p < predCount[v + 1]!; p++) holders.add(holderName(preds[p]!).slice(0, 90));
  const k = `${label(v).slice(0, 30)} <- ${[...holders].sort().slice(0, 4).join(' | ')}`;
  const s = shared.get(k) ?? { n: 0, bytes: 0 };
  s.n++;
  s.bytes += retained[v]!;
  shared.set(k, s);
}
console.log('\nretained by more than one holder (MiB, count, holders):');
for (const [k, s] of [...shared].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 25)) console.log(`  ${mb(s.bytes).padStart(8)}  ${String(s.n).padStart(7)}  ${k}`);
