/**
 * Which sandboxes and containers belong to which pod, so a pod worker reads the status of its own
 * few (runtime.sandboxStatus / containerStatus) instead of listing the whole runtime on every
 * sync (which made a burst of pods quadratic). Filled by the runtime relist (PLEG) and by the
 * worker's own creations. The relist only ever adds: an id leaves when the runtime no longer
 * knows it or the worker removed it, so a relist that started before a creation cannot hide it.
 */
import type { ContainerRuntime, ContainerStatus, SandboxStatus } from './runtime/types.ts';

interface Entry {
  sandboxes: Set<string>;
  containers: Set<string>;
}

export class RuntimeIndex {
  #byUid = new Map<string, Entry>();
  #runtime: ContainerRuntime;

  constructor(runtime: ContainerRuntime) {
    this.#runtime = runtime;
  }

  #entry(uid: string): Entry {
    let e = this.#byUid.get(uid);
    if (!e) this.#byUid.set(uid, (e = { sandboxes: new Set(), containers: new Set() }));
    return e;
  }

  observe(all: { sandboxes: readonly SandboxStatus[]; containers: readonly ContainerStatus[] }): void {
    for (const s of all.sandboxes) this.#entry(s.pod.uid).sandboxes.add(s.id);
    for (const c of all.containers) this.#entry(c.pod.uid).containers.add(c.id);
  }

  addSandbox(uid: string, id: string): void {
    this.#entry(uid).sandboxes.add(id);
  }

  addContainer(uid: string, id: string): void {
    this.#entry(uid).containers.add(id);
  }

  drop(uid: string, id: string): void {
    const e = this.#byUid.get(uid);
    if (!e) return;
    e.sandboxes.delete(id);
    e.containers.delete(id);
    if (e.sandboxes.size === 0 && e.containers.size === 0) this.#byUid.delete(uid);
  }

  /** The pod's sandboxes and containers as the runtime reports them now. */
  async view(uid: string): Promise<{ sandboxes: SandboxStatus[]; containers: ContainerStatus[] }> {
    const e = this.#byUid.get(uid);
    if (!e) return { sandboxes: [], containers: [] };
    const [sandboxes, containers] = await Promise.all([
      Promise.all([...e.sandboxes].map(async (id) => [id, await this.#runtime.sandboxStatus(id)] as const)),
      Promise.all([...e.containers].map(async (id) => [id, await this.#runtime.containerStatus(id)] as const)),
    ]);
    for (const [id, s] of [...sandboxes, ...containers]) if (!s) this.drop(uid, id);
    return {
      sandboxes: sandboxes.flatMap(([, s]) => (s ? [s] : [])),
      containers: containers.flatMap(([, c]) => (c ? [c] : [])),
    };
  }

  get size(): number {
    return this.#byUid.size;
  }
}
