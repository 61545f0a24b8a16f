/**
 * The framework runtime for one profile (framework/runtime + schedule_one.go's schedulePod):
 * PreFilter, Filter over the nodes (stopping at upstream's number of feasible nodes to find,
 * starting where the last cycle stopped), Score with normalization and weights, and the pick of
 * the highest score with ties broken by the injected random source (reservoir sampling).
 */
import { SUCCESS, Status, type AffinityNodeLists, type AnyPlugin, type BindPlugin, type CycleState, type FilterPlugin, type Handle, type NodeScore, type PluginContext, type PostFilterPlugin, type PreBindPlugin, type PreFilterPlugin, type ReservePlugin, type ScorePlugin } from './framework.ts';
import { fitErrorMessage, type Diagnosis } from './fit-error.ts';
import type { NodeInfo } from './node-info.ts';
import { REGISTRY, validateProfile, type ExtensionPoint, type Profile } from './profile.ts';
import type { Pod } from './resources.ts';
import type { ApiClient, InformerFactory } from '../client/types.ts';
import type { Timers } from '../client/timers.ts';

export interface RuntimeDeps {
  client: ApiClient;
  random(): number;
  now(): number;
  namespaceLabels?(name: string): Record<string, string> | undefined;
  informers?: InformerFactory;
  timers?: Timers;
  moveAllToActive?(): void;
}

export type ScheduleResult =
  | { kind: 'fit'; node: string; evaluated: number; feasible: number; state: CycleState }
  | { kind: 'unschedulable'; diagnosis: Diagnosis; numAllNodes: number; message: string; nominatedNodeName?: string }
  | { kind: 'error'; message: string };

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENT = 5;

/** runFilters over filters already cleared of the skipped ones. */
function runFilterList(filters: readonly FilterPlugin[], state: CycleState, pod: Pod, node: NodeInfo): Status {
  for (let i = 0; i < filters.length; i++) {
    const p = filters[i]!;
    const s = p.filter(state, pod, node);
    if (s && !s.isSuccess()) return new Status(s.code, s.reasons).withPlugin(p.name);
  }
  return SUCCESS;
}

export class Framework {
  readonly profile: Profile;
  readonly #deps: RuntimeDeps;
  #nodes: readonly NodeInfo[] = [];
  /** The cache's lists for #nodes; undefined during preemption's dry runs over other node lists. */
  #lists: AffinityNodeLists | undefined;
  #nextStart = 0;
  readonly preFilters: PreFilterPlugin[] = [];
  readonly filters: FilterPlugin[] = [];
  readonly postFilters: PostFilterPlugin[] = [];
  readonly scorers: Array<{ plugin: ScorePlugin; weight: number }> = [];
  readonly reservers: ReservePlugin[] = [];
  readonly preBinders: PreBindPlugin[] = [];
  readonly binders: BindPlugin[] = [];
  readonly #closers: Array<() => void> = [];

  constructor(profile: Profile, deps: RuntimeDeps) {
    validateProfile(profile);
    this.profile = profile;
    this.#deps = deps;
    const handle: Handle = {
      nodeInfos: () => this.#nodes,
      namespaceLabels: (n) => deps.namespaceLabels?.(n),
      havePodsWithAffinity: () => this.#lists?.withAffinity,
      havePodsWithRequiredAntiAffinity: () => this.#lists?.withRequiredAntiAffinity,
    };
    const ctx: PluginContext = {
      handle,
      client: deps.client,
      runFilters: (state, pod, node) => this.runFilters(state, pod, node),
      runPreFilters: (pod, nodes) => this.#withNodes(nodes, () => this.runPreFilters(pod, nodes)),
      random: deps.random,
      now: deps.now,
      schedulerName: profile.schedulerName,
      informers: deps.informers,
      timers: deps.timers,
      moveAllToActive: deps.moveAllToActive,
    };
    for (const name of profile.plugins) {
      const p: AnyPlugin = REGISTRY[name]!(ctx, profile.pluginConfig?.[name]);
      const on = (point: ExtensionPoint) => !profile.disabled?.[point]?.includes(name);
      // A plugin whose Filter is disabled keeps its PreFilter only if it also filters nothing else (upstream disables both together).
      if (p.preFilter && on('preFilter') && (!p.filter || on('filter'))) this.preFilters.push(p as PreFilterPlugin);
      if (p.filter && on('filter')) this.filters.push(p as FilterPlugin);
      if (p.postFilter && on('postFilter')) this.postFilters.push(p as PostFilterPlugin);
      if (p.score && on('score')) this.scorers.push({ plugin: p as ScorePlugin, weight: profile.weights[name] ?? 1 });
      if (p.reserve && p.unreserve && on('reserve')) this.reservers.push(p as ReservePlugin);
      if (p.preBind && on('preBind')) this.preBinders.push(p as PreBindPlugin);
      if (p.bind && on('bind')) this.binders.push(p as BindPlugin);
      if (p.close) this.#closers.push(() => p.close!());
    }
    if (this.binders.length === 0) throw new Error(`profile ${profile.schedulerName}: no bind plugin`);
  }

  #withNodes<T>(nodes: readonly NodeInfo[], fn: () => T): T {
    const saved = this.#nodes;
    const savedLists = this.#lists;
    this.#nodes = nodes;
    this.#lists = undefined;
    try {
      return fn();
    } finally {
      this.#nodes = saved;
      this.#lists = savedLists;
    }
  }

  runPreFilters(pod: Pod, nodes: readonly NodeInfo[]): { state: CycleState; status: Status } {
    const state: CycleState = new Map();
    const skip = new Set<string>();
    state.set('__skipFilter', skip);
    for (const p of this.preFilters) {
      const s = p.preFilter(state, pod, nodes) ?? SUCCESS;
      if (s.code === 'Skip') skip.add(p.name);
      else if (!s.isSuccess()) return { state, status: new Status(s.code, s.reasons).withPlugin(p.name) };
    }
    return { state, status: SUCCESS };
  }

  /** RunFilterPlugins: the first plugin that rejects the node decides its status. */
  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status {
    return runFilterList(this.#activeFilters(state), state, pod, node);
  }

  /** The filters PreFilter did not skip for this cycle. */
  #activeFilters(state: CycleState): readonly FilterPlugin[] {
    const skip = state.get('__skipFilter') as Set<string> | undefined;
    return skip?.size ? this.filters.filter((p) => !skip.has(p.name)) : this.filters;
  }

  numFeasibleNodesToFind(numAll: number): number {
    if (numAll < MIN_FEASIBLE_NODES) return numAll;
    let pct = this.profile.percentageOfNodesToScore ?? 0;
    if (pct <= 0) pct = Math.max(50 - Math.trunc(numAll / 125), MIN_FEASIBLE_PERCENT);
    if (pct >= 100) return numAll;
    return Math.max(Math.trunc((numAll * pct) / 100), MIN_FEASIBLE_NODES);
  }

  /**
   * One scheduling decision over `nodes` (synchronous up to PostFilter, so the snapshot cannot
   * change under it); `lists`, when given, are the nodes among `nodes` with affinity pods.
   */
  async schedulePod(pod: Pod, nodes: readonly NodeInfo[], lists?: AffinityNodeLists): Promise<ScheduleResult> {
    this.#nodes = nodes;
    this.#lists = lists;
    if (nodes.length === 0) return { kind: 'error', message: 'no nodes available to schedule pods' };
    const { state, status } = this.runPreFilters(pod, nodes);
    const statuses = new Map<string, Status>();
    if (status.code === 'Error') return { kind: 'error', message: status.message() };
    const diagnosis: { statuses: Map<string, Status>; preFilterMsg?: string; postFilterMsg?: string } = { statuses };
    const feasible: NodeInfo[] = [];
    if (!status.isSuccess()) {
      for (const n of nodes) statuses.set(n.name, status);
      diagnosis.preFilterMsg = status.message();
    } else {
      const want = this.numFeasibleNodesToFind(nodes.length);
      // Once per cycle rather than a skip-set lookup per filter per node.
      const filters = this.#activeFilters(state);
      let processed = 0;
      for (let i = 0; i < nodes.length && feasible.length < want; i++) {
        const n = nodes[(this.#nextStart + i) % nodes.length]!;
        processed++;
        const s = runFilterList(filters, state, pod, n);
        if (s.isSuccess()) feasible.push(n);
        else if (s.code === 'Error') return { kind: 'error', message: s.message() };
        else statuses.set(n.name, s);
      }
      this.#nextStart = (this.#nextStart + processed) % nodes.length;
    }
    if (feasible.length === 0) {
      let nominatedNodeName: string | undefined;
      for (const p of this.postFilters) {
        const r = await p.postFilter(state, pod, statuses);
        if (r.nominatedNodeName !== undefined) nominatedNodeName = r.nominatedNodeName;
        if (r.status.code === 'Error') return { kind: 'error', message: r.status.message() };
        diagnosis.postFilterMsg = r.status.message();
        if (r.status.isSuccess()) break;
      }
      return { kind: 'unschedulable', diagnosis, numAllNodes: nodes.length, message: fitErrorMessage(nodes.length, diagnosis), nominatedNodeName };
    }
    if (feasible.length === 1) return { kind: 'fit', node: feasible[0]!.name, evaluated: nodes.length, feasible: 1, state };
    const totals = this.scoreNodes(state, pod, feasible);
    return { kind: 'fit', node: this.selectHost(totals), evaluated: nodes.length, feasible: feasible.length, state };
  }

  /** PreScore, Score, NormalizeScore, weights: the total per node. */
  scoreNodes(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): NodeScore[] {
    const n = nodes.length;
    const totals: NodeScore[] = [];
    for (let i = 0; i < n; i++) totals.push({ name: nodes[i]!.name, score: 0 });
    // One scores array for all the scorers of the cycle (each fills every entry before its
    // NormalizeScore, which changes only the scores): not one array and n objects per scorer.
    let scores: NodeScore[] | undefined;
    for (const { plugin, weight } of this.scorers) {
      const pre = plugin.preScore?.(state, pod, nodes);
      if (pre?.code === 'Skip') continue;
      if (!scores) {
        scores = [];
        for (let i = 0; i < n; i++) scores.push({ name: totals[i]!.name, score: 0 });
      }
      for (let i = 0; i < n; i++) scores[i]!.score = plugin.score(state, pod, nodes[i]!);
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < n; i++) totals[i]!.score += scores[i]!.score * weight;
    }
    return totals;
  }

  /** selectHost: the highest total; among equal totals each is equally likely. */
  selectHost(scores: readonly NodeScore[]): string {
    let best = scores[0]!;
    let ties = 1;
    for (const s of scores.slice(1)) {
      if (s.score > best.score) {
        best = s;
        ties = 1;
      } else if (s.score === best.score) {
        ties++;
        if (Math.floor(this.#deps.random() * ties) === 0) best = s;
      }
    }
    return best.name;
  }

  /** RunReservePluginsReserve: the first failure unreserves every reserver (in reverse) and decides. */
  reserve(state: CycleState, pod: Pod, node: string): Status {
    for (const p of this.reservers) {
      const s = p.reserve(state, pod, node);
      if (s && !s.isSuccess()) {
        this.unreserve(state, pod, node);
        return new Status(s.code, s.reasons).withPlugin(p.name);
      }
    }
    return SUCCESS;
  }

  unreserve(state: CycleState, pod: Pod, node: string): void {
    for (const p of [...this.reservers].reverse()) p.unreserve(state, pod, node);
  }

  async preBind(state: CycleState, pod: Pod, node: string): Promise<Status> {
    for (const p of this.preBinders) {
      const s = await p.preBind(state, pod, node);
      if (s && !s.isSuccess()) return new Status(s.code, s.reasons).withPlugin(p.name);
    }
    return SUCCESS;
  }

  /** Ends plugin waits (the scheduler is stopping). */
  close(): void {
    for (const c of this.#closers) c();
  }

  async bind(pod: Pod, node: string): Promise<Status> {
    for (const b of this.binders) {
      const s = await b.bind(pod, node);
      if (s?.code === 'Skip') continue;
      return s ? s.withPlugin(b.name) : SUCCESS;
    }
    return new Status('Error', ['no bind plugin bound the pod']);
  }
}
