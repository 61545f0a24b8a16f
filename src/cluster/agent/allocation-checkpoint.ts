/**
 * The resources the node has allocated to each pod's resizable containers, kept on disk so that an
 * agent restart does not forget them: the kubelet's allocation manager checkpoint
 * (allocated_pods_state), one file per pod here, <dir>/<uid>.json, holding container name →
 * { requests, limits } as admitted (pod-resize.ts). Written when a pod is first allocated and at
 * each admitted resize, removed with the pod (or, for a pod gone while no agent ran, by retain:
 * the kubelet's RemoveOrphanedPods); read once at start.
 *
 * Each write is a new file renamed over the old one (a reader never sees half of it), synchronous
 * like the agent's other small files (pod-managed-files.ts): a few hundred bytes, cheaper than a
 * thread-pool round trip. Not fsync'd: an agent restart keeps the page cache; after a crash of the
 * machine a lost file means the pod's allocation is taken again from its containers
 * (PodResizer.adopt), as for a pod from before this checkpoint. Bounded: one file per pod the
 * agent runs, each at most MAX_FILE_BYTES; at most MAX_FILES read back, anything malformed skipped.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

const UID = /^[A-Za-z0-9-]{1,64}$/;
/** No pod spec's containers come near this (the API bounds names, resource names and quantities). */
export const MAX_FILE_BYTES = 256 * 1024;
/** More than any node runs pods (maxPods is at most a few hundred). */
export const MAX_FILES = 10_000;

function isList(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** A file's allocation, or undefined when it is not one. */
function parse(text: string): Map<string, Resources> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const out = new Map<string, Resources>();
  for (const [name, r] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined;
    const { requests, limits, ...rest } = r as Record<string, unknown>;
    if (Object.keys(rest).length || (requests !== undefined && !isList(requests)) || (limits !== undefined && !isList(limits))) return undefined;
    out.set(name, { ...(requests ? { requests: { ...requests } } : {}), ...(limits ? { limits: { ...limits } } : {}) });
  }
  return out;
}

export class AllocationCheckpoint {
  readonly #dir: string;
  readonly #log: { warn(o: object, m: string): void };
  #made = false;

  constructor(dir: string, log: { warn(o: object, m: string): void }) {
    this.#dir = dir;
    this.#log = log;
  }

  /** Every pod's allocation on disk (at start). */
  load(): Map<string, Map<string, Resources>> {
    const out = new Map<string, Map<string, Resources>>();
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const name of names) {
      if (out.size >= MAX_FILES) break;
      const uid = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!UID.test(uid)) continue;
      const file = join(this.#dir, name);
      try {
        if (!statSync(file).isFile() || statSync(file).size > MAX_FILE_BYTES) throw new Error('not a file of at most 256 KiB');
        const alloc = parse(readFileSync(file, 'utf8'));
        if (!alloc) throw new Error('not an allocation');
        out.set(uid, alloc);
      } catch (err) {
        this.#log.warn({ file, err: (err as Error).message }, 'pod allocation checkpoint skipped');
      }
    }
    return out;
  }

  /** Records the pod's allocation (the whole of it, replacing what was there). */
  save(uid: string, alloc: ReadonlyMap<string, Resources>): void {
    if (!UID.test(uid)) return;
    const text = JSON.stringify(Object.fromEntries(alloc));
    if (text.length > MAX_FILE_BYTES) {
      this.#log.warn({ uid, bytes: text.length }, 'pod allocation too large to checkpoint');
      return;
    }
    if (!this.#made) {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      this.#made = true;
    }
    const file = join(this.#dir, `${uid}.json`);
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  remove(uid: string): void {
    if (!UID.test(uid)) return;
    rmSync(join(this.#dir, `${uid}.json`), { force: true });
    rmSync(join(this.#dir, `${uid}.json.tmp`), { force: true });
  }

  /** Removes the files of pods for which `live` is false (the kubelet's RemoveOrphanedPods). */
  retain(live: (uid: string) => boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return;
    }
    for (const name of names) {
      const uid = name.replace(/\.json(\.tmp)?$/, '');
      if (UID.test(uid) && !live(uid)) this.remove(uid);
    }
  }
}
