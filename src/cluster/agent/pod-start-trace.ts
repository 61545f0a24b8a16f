/**
 * Where a pod's start spends its time, for the pod-start bench (BENCH_PHASES=1): the pod workers
 * and the pod syncer publish each step of a start (the sync beginning, a runtime call waiting in
 * the start gate, running, done, the status write) on a diagnostics channel with the pod's uid.
 * Nothing is recorded unless something subscribes (the bench's agent process does), so the agent
 * pays one hasSubscribers check per step.
 */
import { channel } from 'node:diagnostics_channel';

export interface PodStartStep {
  uid: string;
  step: string;
}

export const podStartChannel = channel('portcullis:agent:pod-start');

export function tracePodStart(uid: string, step: string): void {
  if (podStartChannel.hasSubscribers) podStartChannel.publish({ uid, step } satisfies PodStartStep);
}
