/** Which pods a policy's selectors pick, memoized per snapshot (policies repeat selectors a lot). */
import { selectorFromMetav1, type LabelSelector } from '../../api/selectors/label-selector.ts';
import type { NamespaceInfo, PodInfo } from './types.ts';

type MetaSelector = Parameters<typeof selectorFromMetav1>[0];

export class PodIndex {
  readonly pods: readonly PodInfo[];
  readonly namespaces: ReadonlyMap<string, NamespaceInfo>;
  readonly #cache = new Map<string, ReadonlySet<string>>();
  readonly #byKey: ReadonlyMap<string, PodInfo>;
  readonly #selectors = new Map<string, LabelSelector>();

  constructor(pods: readonly PodInfo[], namespaces: ReadonlyMap<string, NamespaceInfo>) {
    this.pods = pods;
    this.namespaces = namespaces;
    this.#byKey = new Map(pods.map((p) => [p.key, p]));
  }

  pod(key: string): PodInfo | undefined {
    return this.#byKey.get(key);
  }

  selector(sel: unknown): LabelSelector {
    const k = JSON.stringify(sel ?? null);
    let s = this.#selectors.get(k);
    if (!s) {
      s = selectorFromMetav1(sel as MetaSelector);
      this.#selectors.set(k, s);
    }
    return s;
  }

  namespaceLabels(ns: string): Record<string, string> {
    return this.namespaces.get(ns)?.labels ?? { 'kubernetes.io/metadata.name': ns };
  }

  /**
   * Pods whose namespace matches `nsSel` (or is exactly `ownNamespace` when nsSel is undefined)
   * and whose labels match `podSel` (every pod when podSel is undefined).
   */
  select(ownNamespace: string | undefined, nsSel: unknown, podSel: unknown): ReadonlySet<string> {
    const key = JSON.stringify([nsSel === undefined ? ownNamespace : null, nsSel ?? null, podSel ?? null]);
    let hit = this.#cache.get(key);
    if (hit) return hit;
    const nsMatch = nsSel === undefined ? undefined : this.selector(nsSel);
    const podMatch = podSel === undefined ? undefined : this.selector(podSel);
    const out = new Set<string>();
    for (const p of this.pods) {
      if (nsMatch ? !nsMatch.matches(this.namespaceLabels(p.namespace)) : p.namespace !== ownNamespace) continue;
      if (podMatch && !podMatch.matches(p.labels)) continue;
      out.add(p.key);
    }
    hit = out;
    this.#cache.set(key, hit);
    return hit;
  }
}
