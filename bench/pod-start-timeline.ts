/**
 * Where each pod's start went, from the agent's own step times (src/cluster/agent/pod-start-trace.ts)
 * and the bench's: created (the create request sent), the pod worker woken by the informer, the
 * sync begun, each runtime call's wait in the start gate and its run, the status write, and the
 * bench's watch seeing Running. Each segment is summarized over the pods that have both ends; a
 * pod whose start failed or went another way (a second sandbox, an extra sync) just lacks some.
 */
import { summarize, type LatencySummary } from './stats.ts';

export interface PodTimes {
  /** Epoch ms: the create request sent, its answer, and the bench's watch seeing the pod Running. */
  created: number;
  acked?: number;
  running?: number;
  /** The agent's steps for this pod (first time of each), epoch ms. */
  steps: Record<string, number>;
}

/** Segment name → [from step, to step]; 'created', 'acked' and 'running' are the bench's own. */
export const SEGMENTS: ReadonlyArray<readonly [string, string, string]> = [
  ['create request', 'created', 'acked'],
  ['answer to agent watch', 'acked', 'update'],
  ['create to agent watch', 'created', 'update'],
  ['worker start', 'update', 'sync'],
  ['admit, volumes', 'sync', 'sandbox:wait'],
  ['sandbox gate wait', 'sandbox:wait', 'sandbox:run'],
  ['sandbox', 'sandbox:run', 'sandbox:done'],
  ['to image', 'sandbox:done', 'image'],
  ['image', 'image', 'env'],
  ['env, mounts', 'env', 'create:wait'],
  ['create gate wait', 'create:wait', 'create:run'],
  ['create', 'create:run', 'create:done'],
  ['to start', 'create:done', 'start:wait'],
  ['start gate wait', 'start:wait', 'start:run'],
  ['start', 'start:run', 'start:done'],
  ['to status write', 'start:done', 'status:Running'],
  ['status patch', 'status:Running', 'written:Running'],
  ['patch to bench watch', 'written:Running', 'running'],
  ['total', 'created', 'running'],
];

/** Per segment, its times over the pods (ms); plus the gate waits summed, the part ordering adds. */
export function podStartTimeline(pods: readonly PodTimes[]): Record<string, LatencySummary> {
  const out: Record<string, LatencySummary> = {};
  const at = (p: PodTimes, step: string): number | undefined => (step === 'created' ? p.created : step === 'acked' ? p.acked : step === 'running' ? p.running : p.steps[step]);
  for (const [name, from, to] of SEGMENTS) {
    const d: number[] = [];
    for (const p of pods) {
      const a = at(p, from);
      const b = at(p, to);
      if (a !== undefined && b !== undefined) d.push(b - a);
    }
    if (d.length) out[name] = summarize(d);
  }
  const waits = pods.map((p) => ['sandbox', 'create', 'start'].reduce((sum, w) => sum + ((p.steps[`${w}:run`] ?? 0) - (p.steps[`${w}:wait`] ?? 0)), 0));
  if (pods.length) out['gate waits, summed'] = summarize(waits);
  return out;
}
