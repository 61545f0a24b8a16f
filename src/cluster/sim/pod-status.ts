/**
 * The pod statuses a simulated kubelet writes through pods/status: Running with every container
 * started and ready, or Succeeded with every container terminated with exit code 0. Container and
 * image IDs use the sim:// scheme so nobody takes them for a real runtime's.
 */
import { createHash } from 'node:crypto';
import type { K8sObject } from '../client/types.ts';
import { rfc3339 } from './node-template.ts';

type Condition = { type: string; status: string; lastProbeTime: null; lastTransitionTime: string; reason?: string; message?: string };

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

const containerID = (pod: K8sObject, name: string): string => `sim://${sha(`${pod.metadata.uid ?? pod.metadata.name}/${name}`)}`;
const imageID = (image: string): string => `sim://sha256:${sha(image)}`;

/**
 * Conditions in kubelet's order; a condition whose status is unchanged keeps its transition time.
 * Shared with the node agent, which also gives reasons and messages.
 */
export function conditions(pod: K8sObject, want: ReadonlyArray<readonly [string, 'True' | 'False', string?, string?]>, now: string): Condition[] {
  type Old = { type: string; status?: string; lastTransitionTime?: string };
  const old = new Map<string, Old>(((pod.status?.conditions ?? []) as Old[]).map((c) => [c.type, c]));
  return want.map(([type, status, reason, message]) => {
    const prev = old.get(type);
    const c: Condition = { type, status, lastProbeTime: null, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  });
}

interface Containers {
  containers: Array<{ name: string; image?: string }>;
  initContainers: Array<{ name: string; image?: string }>;
}

const containersOf = (pod: K8sObject): Containers => ({ containers: pod.spec?.containers ?? [], initContainers: pod.spec?.initContainers ?? [] });

/** When the containers started: kept from an earlier status, else now. */
function startedAt(pod: K8sObject, name: string, now: string): string {
  const s = ((pod.status?.containerStatuses ?? []) as Array<{ name: string; state?: { running?: { startedAt?: string } } }>).find((c) => c.name === name);
  return s?.state?.running?.startedAt ?? now;
}

const completed = (pod: K8sObject, name: string, startedAt: string, finishedAt: string) => ({ terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt, containerID: containerID(pod, name) } });

/** A running container is ready and started; a finished one is neither (an init container that finished is ready). */
function containerStatus(pod: K8sObject, k: { name: string; image?: string }, running: boolean, state: object, ready = running): Record<string, unknown> {
  const image = k.image ?? '';
  return { name: k.name, image, imageID: imageID(image), containerID: containerID(pod, k.name), ready, started: running, restartCount: 0, state, lastState: {} };
}

function initStatuses(pod: K8sObject, c: Containers, start: string): unknown[] {
  return c.initContainers.map((ic) => containerStatus(pod, ic, false, completed(pod, ic.name, start, start), true));
}

export interface Placement {
  podIP: string;
  hostIP: string;
}

export function runningStatus(pod: K8sObject, at: Placement, nowMs: number): Record<string, unknown> {
  const now = rfc3339(nowMs);
  const c = containersOf(pod);
  const start = (pod.status?.startTime as string | undefined) ?? now;
  const status: Record<string, unknown> = {
    phase: 'Running',
    conditions: conditions(pod, [['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True']], now),
    hostIP: at.hostIP,
    hostIPs: [{ ip: at.hostIP }],
    podIP: at.podIP,
    podIPs: [{ ip: at.podIP }],
    startTime: start,
    containerStatuses: c.containers.map((k) => containerStatus(pod, k, true, { running: { startedAt: startedAt(pod, k.name, now) } })),
  };
  if (c.initContainers.length > 0) status.initContainerStatuses = initStatuses(pod, c, start);
  return status;
}

/** Every container ran to exit code 0; the pod keeps its addresses in status, as kubelet does. */
export function succeededStatus(pod: K8sObject, nowMs: number): Record<string, unknown> {
  const now = rfc3339(nowMs);
  const c = containersOf(pod);
  const start = (pod.status?.startTime as string | undefined) ?? now;
  const status: Record<string, unknown> = {
    phase: 'Succeeded',
    conditions: conditions(pod, [['PodReadyToStartContainers', 'False'], ['Initialized', 'True', 'PodCompleted'], ['Ready', 'False', 'PodCompleted'], ['ContainersReady', 'False', 'PodCompleted'], ['PodScheduled', 'True']], now),
    startTime: start,
    containerStatuses: c.containers.map((k) => containerStatus(pod, k, false, completed(pod, k.name, startedAt(pod, k.name, start), now))),
  };
  for (const k of ['hostIP', 'hostIPs', 'podIP', 'podIPs']) if (pod.status?.[k] !== undefined) status[k] = pod.status[k];
  if (c.initContainers.length > 0) status.initContainerStatuses = initStatuses(pod, c, start);
  return status;
}
