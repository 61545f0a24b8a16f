/**
 * One probe of a container (prober.runProbeWithRetries + runProbe): the handler the probe names,
 * with its timeout; an error (the probe could not be run) is tried up to three times, as upstream.
 */
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/types.ts';
import { execProbe } from './exec-probe.ts';
import { grpcProbe } from './grpc-probe.ts';
import { httpProbe } from './http-get.ts';
import { errored, type ProbeOutcome } from './outcome.ts';
import { tcpProbe } from './tcp-socket.ts';

export interface ProbeTarget {
  readonly container: Container;
  readonly containerId: string;
  /** Where httpGet/tcpSocket/grpc connect when the action names no host (the pod IP). */
  readonly podIP?: string;
}

export type ProbeRunner = (probe: Probe, target: ProbeTarget) => Promise<ProbeOutcome>;

const MAX_PROBE_RETRIES = 3;

async function runOnce(runtime: ContainerRuntime, p: Probe, t: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
  try {
    if (p.exec) return await execProbe(runtime, t.containerId, p.exec.command ?? [], t.container, timeoutMs);
    if (p.httpGet) return await httpProbe(p.httpGet, t.container, t.podIP, timeoutMs);
    if (p.tcpSocket) return await tcpProbe(p.tcpSocket, t.container, t.podIP, timeoutMs);
    if (p.grpc) return await grpcProbe(p.grpc, t.podIP, timeoutMs);
    return errored(`missing probe handler for ${t.container.name}`);
  } catch (err) {
    return errored((err as Error).message);
  }
}

export function newProbeRunner(runtime: ContainerRuntime): ProbeRunner {
  return async (p, t) => {
    let out: ProbeOutcome = errored('not run');
    for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
      out = await runOnce(runtime, p, t);
      if (out.result !== 'error') return out;
    }
    return out;
  };
}
