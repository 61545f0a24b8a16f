/**
 * Summarises V8 CPU profiles (from BENCH_CPU_PROF=<dir> npm run bench) into the top functions by
 * self and by total time, and self time by area (our source directories, each dependency, node
 * internals, native/GC). Usage: node --import tsx bench/profile-summary.ts <dir or .cpuprofile> [top]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

const root = process.cwd();

function fnKey(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  return `${name} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith('/') ? relative(root, path) : path;
}

/** src/<dir>/<subdir>, node_modules/<pkg>, node:<module>, or the V8 pseudo-frame. */
function area(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const p = shortUrl(f.url);
  const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(p);
  if (nm) return `node_modules/${nm[1]}`;
  if (p.startsWith('node:')) return p;
  const src = /^(src\/[^/]+(\/[^/.]+(?=\/))?)/.exec(p);
  return src ? src[1]! : p;
}

export function summarizeProfile(profile: CpuProfile, top: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalHits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalHits ? durationMs / totalHits : 0;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  // Inclusive time: walk the tree and count each function once per stack (recursion-safe).
  const walk = (id: number, onStack: Map<string, number>): number => {
    const n = byId.get(id)!;
    const key = fnKey(n.callFrame);
    const hits = n.hitCount ?? 0;
    self.set(key, (self.get(key) ?? 0) + hits);
    areas.set(area(n.callFrame), (areas.get(area(n.callFrame)) ?? 0) + hits);
    onStack.set(key, (onStack.get(key) ?? 0) + 1);
    let sub = hits;
    for (const c of n.children ?? []) sub += walk(c, onStack);
    const depth = onStack.get(key)! - 1;
    if (depth === 0) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + sub);
    } else onStack.set(key, depth);
    return sub;
  };
  walk(profile.nodes[0]!.id, new Map());
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, ms: Math.round(hits * msPerHit), pct: Math.round((hits / totalHits) * 1000) / 10 }));
  return { durationMs: Math.round(durationMs), bySelf: rank(self), byTotal: rank(total), byArea: rank(areas) };
}

function main(): void {
  const [arg = '.', topArg = '30'] = process.argv.slice(2);
  const files = statSync(arg).isDirectory()
    ? readdirSync(arg).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(arg, f))
    : [arg];
  for (const f of files) {
    const s = summarizeProfile(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, Number(topArg));
    process.stdout.write(JSON.stringify({ file: f, ...s }, null, 2) + '\n');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
