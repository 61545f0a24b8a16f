/**
 * Groups a V8 CPU profile of the API server by request stage: each sample goes to the innermost
 * frame of ours or of a dependency on its stack (a socket write or TLS record goes to "socket
 * write/TLS" whoever called it), so "authn" is the time spent in src/authn and what it calls that
 * is not itself another stage. Meant for the question "where does the main thread's time per pod
 * go outside the store" (issue 12).
 *
 * Usage: node bench/profile-stages.ts <dir or .cpuprofile> [perUnits]
 * With perUnits (pods or requests in the profiled window) it also prints microseconds per unit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuProfile, ProfileNode } from './profile-summary.ts';


/** Native leaves that are socket I/O (and, on a TLS socket, the record encryption done inside the write). */
const SOCKET_WRITE = new Set(['writeUtf8String', 'writeLatin1String', 'writeBuffer', 'writev', 'writevGeneric', 'writeGeneric']);

/** First matching rule wins; paths are matched against the frame's URL. */
const RULES: Array<[RegExp, string]> = [
  [/src\/server\/rest\/watch|src\/server\/rest\/serialize|src\/server\/recent-encodings|src\/api\/codecs\/protobuf/, 'encode (watch, response)'],
  [/src\/storage\/watch-cache|src\/storage\/sorted-keys/, 'watch cache'],
  [/src\/storage\//, 'store'],
  [/src\/authn\//, 'authn'],
  [/src\/authz\/node\//, 'authz: node'],
  [/src\/authz\/rbac\//, 'authz: rbac'],
  [/src\/authz\//, 'authz: other'],
  [/src\/server\/flowcontrol\//, 'APF'],
  [/src\/audit\//, 'audit'],
  [/src\/metrics\/|node_modules\/prom-client/, 'metrics'],
  [/src\/server\/trace|node_modules\/@opentelemetry/, 'tracing'],
  [/src\/admission\//, 'admission plugins'],
  [/src\/server\/pipeline|src\/server\/request-info|src\/server\/build-server|src\/server\/respond|src\/server\/status|src\/server\/negotiate/, 'pipeline/respond'],
  [/src\/api\/apply\/|src\/api\/managed/, 'managedFields'],
  [/src\/api\/validation\//, 'validation'],
  [/src\/api\/codecs\//, 'body decode'],
  [/src\/server\/rest\/|src\/api\//, 'REST handler'],
  [/src\/cluster\//, 'in-process components'],
  [/node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify|fast-json-stringify|pino|abstract-logging|secure-json-parse|fast-querystring)/, 'fastify/pino'],
  [/node_modules\/better-sqlite3/, 'store'],
  [/node_modules\//, 'other deps'],
  [/^src\/|\/src\//, 'other src'],
];

function classifyUrl(url: string): string | undefined {
  for (const [re, stage] of RULES) if (re.test(url)) return stage;
  return undefined;
}

/** Node's own modules, when nothing of ours is on the stack (the socket/parser callbacks). */
function classifyNode(url: string): string {
  if (/_tls|tls_wrap|node:tls/.test(url)) return 'TLS (node)';
  if (/_http_|node:http/.test(url)) return 'http (node)';
  if (/node:net|stream|node:internal\/streams/.test(url)) return 'net/streams (node)';
  if (/timers|task_queues|process/.test(url)) return 'timers/ticks (node)';
  return 'other node';
}

export interface StageSummary {
  durationMs: number;
  busyMs: number;
  stages: Array<{ stage: string; ms: number; pctBusy: number; usPerUnit?: number }>;
}

export function profileStages(profile: CpuProfile, perUnits?: number): StageSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totalHits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const durationMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalHits ? durationMs / totalHits : 0;
  const hits = new Map<string, number>();
  for (const n of profile.nodes) {
    const h = n.hitCount ?? 0;
    if (!h) continue;
    hits.set(stageOf(n), (hits.get(stageOf(n)) ?? 0) + h);
  }
  function stageOf(leaf: ProfileNode): string {
    const f = leaf.callFrame;
    if (f.functionName === '(idle)') return '(idle)';
    if (f.functionName === '(garbage collector)') return 'GC';
    if (f.functionName === '(program)') return '(program)';
    if (SOCKET_WRITE.has(f.functionName) && !f.url) return 'socket write/TLS';
    let nodeUrl: string | undefined;
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)!.callFrame.url;
      if (!url) continue;
      if (url.startsWith('node:')) {
        nodeUrl ??= url;
        continue;
      }
      const s = classifyUrl(url);
      if (s) return s;
    }
    return nodeUrl ? classifyNode(nodeUrl) : '(native, no JS caller)';
  }
  const busyHits = totalHits - (hits.get('(idle)') ?? 0);
  const stages = [...hits.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([stage, h]) => ({
      stage,
      ms: Math.round(h * msPerHit),
      pctBusy: stage === '(idle)' ? 0 : Math.round((h / busyHits) * 1000) / 10,
      ...(perUnits ? { usPerUnit: Math.round((h * msPerHit * 1000) / perUnits) } : {}),
    }));
  return { durationMs: Math.round(durationMs), busyMs: Math.round(busyHits * msPerHit), stages };
}

function main(): void {
  const [arg = '.', units] = process.argv.slice(2);
  const files = statSync(arg).isDirectory()
    ? readdirSync(arg).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(arg, f))
    : [arg];
  for (const f of files) {
    const s = profileStages(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, units ? Number(units) : undefined);
    process.stdout.write(JSON.stringify({ file: f, ...s }, null, 1) + '\n');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
