/**
 * Pods, after upstream's printPod: READY counts ready containers (restartable init containers,
 * i.e. sidecars, count too), STATUS is the most telling reason, RESTARTS carries the age of the
 * last restart.
 */
import { doc } from '../field-docs.ts';
import { humanDuration, parseTime, since } from '../duration.ts';
import { arr, conditionTrue, int, obj, str } from '../format.ts';
import { column } from '../types.ts';
import type { Obj, Printer, RowCondition } from '../types.ts';
import { AGE, NAME } from './meta.ts';

// The reason the node lifecycle controller sets on pods of an unreachable node.
const NODE_UNREACHABLE_REASON = 'NodeLost';

const isSidecar = (c: Obj | undefined): boolean => c?.restartPolicy === 'Always';

/** The later of two Go times kept as epoch milliseconds (0 is the zero time). */
const later = (a: number, ts: unknown): number => {
  const t = parseTime(ts) ?? 0;
  return t > a ? t : a;
};

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

export function podSummary(pod: Obj, now: Date): PodSummary {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const initSpecs = arr(spec.initContainers);
  const initByName = new Map(initSpecs.map((c) => [str(c.name), c]));
  let restarts = 0;
  let sidecarRestarts = 0;
  const total = arr(spec.containers).length + initSpecs.filter(isSidecar).length;
  let ready = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const phase = str(status.phase);
  let reason = status.reason ? str(status.reason) : phase;

  for (const c of arr(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    const state = obj(c.state);
    const lastTerminated = obj(c.lastState).terminated;
    const sidecar = isSidecar(initByName.get(str(c.name)));
    restarts += int(c.restartCount);
    if (lastTerminated) lastRestart = later(lastRestart, obj(lastTerminated).finishedAt);
    if (sidecar) {
      sidecarRestarts += int(c.restartCount);
      if (lastTerminated) lastSidecarRestart = later(lastSidecarRestart, obj(lastTerminated).finishedAt);
    }
    const terminated = state.terminated ? obj(state.terminated) : undefined;
    const waiting = state.waiting ? obj(state.waiting) : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = int(terminated.signal) !== 0 ? `Init:Signal:${int(terminated.signal)}` : `Init:ExitCode:${int(terminated.exitCode)}`;
      } else {
        reason = `Init:${str(terminated.reason)}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      const state = obj(c.state);
      restarts += int(c.restartCount);
      const lastTerminated = obj(c.lastState).terminated;
      if (lastTerminated) lastRestart = later(lastRestart, obj(lastTerminated).finishedAt);
      const waiting = state.waiting ? obj(state.waiting) : undefined;
      const terminated = state.terminated ? obj(state.terminated) : undefined;
      if (waiting && waiting.reason) {
        reason = str(waiting.reason);
      } else if (terminated && terminated.reason) {
        reason = str(terminated.reason);
      } else if (terminated) {
        reason = int(terminated.signal) !== 0 ? `Signal:${int(terminated.signal)}` : `ExitCode:${int(terminated.exitCode)}`;
      } else if (c.ready === true && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A completed container beside a running one: the pod is still running.
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(obj(pod.metadata).deletionTimestamp);
  if (deleting && status.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsText = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

function readinessGates(pod: Obj): string {
  const gates = arr(obj(pod.spec).readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = arr(obj(pod.status).conditions);
  let trueCount = 0;
  for (const g of gates) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (c?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

const orNone = (s: string): string => (s === '' ? '<none>' : s);

export const podPrinter: Printer = {
  columns: [
    NAME,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    column('IP', 'string', doc('core/v1:PodStatus.podIP'), { priority: 1 }),
    column('Node', 'string', doc('core/v1:PodSpec.nodeName'), { priority: 1 }),
    column('Nominated Node', 'string', doc('core/v1:PodStatus.nominatedNodeName'), { priority: 1 }),
    column('Readiness Gates', 'string', doc('core/v1:PodSpec.readinessGates'), { priority: 1 }),
  ],
  cells(pod, now) {
    const s = podSummary(pod, now);
    const status = obj(pod.status);
    const ips = arr(status.podIPs);
    const ip = ips.length > 0 ? str(ips[0]?.ip) : str(status.podIP);
    return [
      str(obj(pod.metadata).name),
      s.ready,
      s.status,
      s.restarts,
      since(obj(pod.metadata).creationTimestamp, now),
      orNone(ip),
      orNone(str(obj(pod.spec).nodeName)),
      orNone(str(status.nominatedNodeName)),
      readinessGates(pod),
    ];
  },
  conditions(pod): RowCondition[] | undefined {
    const phase = obj(pod.status).phase;
    if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};
