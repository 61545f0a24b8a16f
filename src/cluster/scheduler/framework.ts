/**
 * The scheduling framework's contracts (kube-scheduler framework/interface.go): a Status with
 * upstream's codes, and the plugin extension points a profile wires together. Plugins are small
 * objects named as upstream names them; a profile picks them by name and weights the scorers.
 */
import type { ApiClient, InformerFactory } from '../client/types.ts';
import type { Timers } from '../client/timers.ts';
import type { NodeInfo } from './node-info.ts';
import type { Pod } from './resources.ts';

export type Code = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

export class Status {
  plugin = '';
  readonly code: Code;
  readonly reasons: readonly string[];
  constructor(code: Code, reasons: readonly string[] = []) {
    this.code = code;
    this.reasons = reasons;
  }
  isSuccess(): boolean {
    return this.code === 'Success';
  }
  /** Unschedulable or UnschedulableAndUnresolvable: the node (or the pod) was rejected. */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable';
  }
  /** Status.Message(): the reasons joined by ", ". */
  message(): string {
    return this.reasons.join(', ');
  }
  withPlugin(name: string): this {
    this.plugin = name;
    return this;
  }
}

export const SUCCESS = new Status('Success');
export const SKIP = new Status('Skip');
export const unschedulable = (...reasons: string[]) => new Status('Unschedulable', reasons);
export const unresolvable = (...reasons: string[]) => new Status('UnschedulableAndUnresolvable', reasons);
export const asError = (err: unknown) => new Status('Error', [err instanceof Error ? err.message : String(err)]);

/** framework.MaxNodeScore. */
export const MAX_NODE_SCORE = 100;

/** Data plugins compute in PreFilter/PreScore and read in Filter/Score, for one pod's cycle. */
export type CycleState = Map<string, unknown>;

export interface NodeScore { name: string; score: number }

/** What plugins may look at besides the pod and the node: the cycle's node list, namespaces. */
export interface Handle {
  /** Every node of this cycle's snapshot. */
  nodeInfos(): readonly NodeInfo[];
  /** Labels of a namespace (for namespaceSelector in pod affinity), undefined when unknown. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /**
   * The nodes of this cycle's snapshot that hold pods with pod (anti-)affinity, and with required
   * anti-affinity (the snapshot's HavePodsWithAffinityNodeInfoList and
   * HavePodsWithRequiredAntiAffinityNodeInfoList), so InterPodAffinity need not walk every node;
   * undefined when the snapshot does not keep them (then plugins filter nodeInfos()).
   */
  havePodsWithAffinity?(): readonly NodeInfo[] | undefined;
  havePodsWithRequiredAntiAffinity?(): readonly NodeInfo[] | undefined;
}

/** What the cache keeps alongside its node list for InterPodAffinity. */
export interface AffinityNodeLists {
  withAffinity: readonly NodeInfo[];
  withRequiredAntiAffinity: readonly NodeInfo[];
}

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  /** Undefined or Success to go on; Skip to leave this plugin's Filter out for this pod. */
  preFilter(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status | undefined;
}

export interface PostFilterResult {
  status: Status;
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  /** Runs when no node fits; `statuses` holds every node's filter status. */
  postFilter(state: CycleState, pod: Pod, statuses: ReadonlyMap<string, Status>): Promise<PostFilterResult>;
}

export interface ScorePlugin extends Plugin {
  /** Skip leaves this scorer out for this pod. */
  preScore?(state: CycleState, pod: Pod, nodes: readonly NodeInfo[]): Status | undefined;
  score(state: CycleState, pod: Pod, node: NodeInfo): number;
  /** NormalizeScore: brings the scores into [0, MAX_NODE_SCORE], in place. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): void;
}

/** Reserve / Unreserve: claim what the chosen node needs (volumes) before the bind, give it back if the bind fails. */
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status | undefined;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

/** PreBind: writes the bind depends on (a claim's selected node, a volume's claimRef), waited for before binding. */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status | undefined>;
}

export interface BindPlugin extends Plugin {
  bind(pod: Pod, nodeName: string): Promise<Status | undefined>;
}

export type AnyPlugin = Partial<PreFilterPlugin & FilterPlugin & PostFilterPlugin & ScorePlugin & ReservePlugin & PreBindPlugin & BindPlugin> & Plugin & {
  /** Ends what the plugin waits on (a PreBind waiting for a volume), when the scheduler stops. */
  close?(): void;
};

export interface PluginContext {
  handle: Handle;
  client: ApiClient;
  /** The framework's filter run (for preemption's dry runs). */
  runFilters(state: CycleState, pod: Pod, node: NodeInfo): Status;
  runPreFilters(pod: Pod, nodes: readonly NodeInfo[]): { state: CycleState; status: Status };
  /** [0, 1), seeded by the caller. */
  random(): number;
  now(): number;
  schedulerName: string;
  /** The scheduler's shared informers, for plugins that read more than nodes and pods (volumes). */
  informers?: InformerFactory;
  timers?: Timers;
  /** A cluster event that may make unschedulable pods fit (upstream's EventsToRegister): retry them. */
  moveAllToActive?(): void;
}

export type PluginFactory = (ctx: PluginContext, args?: Record<string, unknown>) => AnyPlugin;

/** DefaultNormalizeScore (plugins/helper): scale to [0, max] by the highest score; reverse flips. */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, max = MAX_NODE_SCORE): void {
  let highest = 0;
  for (const s of scores) highest = Math.max(highest, s.score);
  if (highest === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((max * s.score) / highest);
    if (reverse) v = max - v;
    s.score = v;
  }
}
