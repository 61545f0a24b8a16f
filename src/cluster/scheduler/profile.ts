/**
 * Profiles: a schedulerName with its plugins (in upstream's default multiPoint order) and score
 * weights, and the registry that builds plugins by name. DEFAULT_PROFILE is upstream's default
 * profile (apis/config/v1/default_plugins.go) less the plugins not built here (volume limits,
 * images, scheduling gates, DRA).
 */
import type { AnyPlugin, PluginFactory } from './framework.ts';
import { defaultBinder } from './plugins/default-binder.ts';
import { defaultPreemption } from './plugins/default-preemption.ts';
import { interPodAffinity } from './plugins/inter-pod-affinity.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { balancedAllocation, nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { nodeUnschedulable } from './plugins/node-unschedulable.ts';
import { podTopologySpread } from './plugins/pod-topology-spread.ts';
import { taintToleration } from './plugins/taint-toleration.ts';
import { volumeBinding } from './plugins/volume-binding.ts';
import { volumeRestrictions } from './plugins/volume-restrictions.ts';
import { volumeZone } from './plugins/volume-zone.ts';

export interface Profile {
  schedulerName: string;
  /** Plugin names in run order; each takes part at every extension point it implements. */
  plugins: string[];
  /** Score weight by plugin name (upstream's default is 1 for a scorer not listed). */
  weights: Record<string, number>;
  pluginConfig?: Record<string, Record<string, unknown>>;
  /** 0 = upstream's adaptive default (50% - nodes/125, at least 5%, at least 100 nodes). */
  percentageOfNodesToScore?: number;
  /** Plugins left out at one extension point only (KubeSchedulerConfiguration plugins.<point>.disabled). */
  disabled?: Partial<Record<ExtensionPoint, string[]>>;
}

export type ExtensionPoint = 'preFilter' | 'filter' | 'postFilter' | 'score' | 'reserve' | 'preBind' | 'bind';

export const REGISTRY: Readonly<Record<string, PluginFactory>> = {
  NodeUnschedulable: () => nodeUnschedulable(),
  NodeName: () => nodeName(),
  TaintToleration: () => taintToleration(),
  NodeAffinity: () => nodeAffinity(),
  NodePorts: () => nodePorts(),
  NodeResourcesFit: (_ctx, args) => nodeResourcesFit(args as never),
  VolumeRestrictions: (ctx) => volumeRestrictions(ctx),
  VolumeBinding: (ctx, args) => volumeBinding(ctx, args as never),
  VolumeZone: (ctx) => volumeZone(ctx),
  PodTopologySpread: (ctx) => podTopologySpread(ctx.handle),
  InterPodAffinity: (ctx, args) => interPodAffinity(ctx.handle, args as never),
  DefaultPreemption: (ctx) => defaultPreemption(ctx),
  NodeResourcesBalancedAllocation: (_ctx, args) => balancedAllocation(args as never),
  DefaultBinder: (ctx) => defaultBinder(ctx),
};

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export function defaultProfile(schedulerName = DEFAULT_SCHEDULER_NAME): Profile {
  return {
    schedulerName,
    plugins: ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeRestrictions', 'VolumeBinding', 'VolumeZone', 'PodTopologySpread', 'InterPodAffinity', 'DefaultPreemption', 'NodeResourcesBalancedAllocation', 'DefaultBinder'],
    weights: { TaintToleration: 3, NodeAffinity: 2, NodeResourcesFit: 1, PodTopologySpread: 2, InterPodAffinity: 2, NodeResourcesBalancedAllocation: 1 },
  };
}

/** Fails closed on a profile naming an unknown plugin or without a binder. */
export function validateProfile(p: Profile, registry: Readonly<Record<string, PluginFactory>> = REGISTRY): void {
  if (!p.schedulerName) throw new Error('profile: schedulerName is required');
  for (const name of p.plugins) if (!registry[name]) throw new Error(`profile ${p.schedulerName}: unknown plugin ${JSON.stringify(name)}`);
  for (const [name, w] of Object.entries(p.weights)) {
    if (!Number.isInteger(w) || w < 1 || w > 100) throw new Error(`profile ${p.schedulerName}: weight of ${name} must be an integer in 1..100`);
  }
}

export type { AnyPlugin };
