/**
 * Test harness for the batch controllers: the fake client and the real shared informers and
 * work queue, all on one FakeClock, so delays (pod backoff, deadlines, schedules, TTLs) pass only
 * when a test advances the clock.
 */
import { FakeApiClient, fakeInformerFactory } from '../../client/fake.ts';
import { FakeClock, settle } from '../../client/fake-clock.ts';
import type { Controller, K8sObject, ResourceRef } from '../../client/types.ts';
import { RateLimitedQueue } from '../../client/work-queue.ts';
import type { WorkloadControllerDeps } from '../queue-controller.ts';
import { EVENTS, PODS } from '../resources.ts';

/** A deterministic stand-in for Math.random: distinct values, so event names never collide. */
function sequence(): () => number {
  let n = 0;
  return () => ((n++ * 0.6180339887) % 1);
}

export interface Harness {
  client: FakeApiClient;
  clock: FakeClock;
  /** Lets watches and workers run until quiet (no time passes). */
  idle(): Promise<void>;
  /** Moves the clock (timers due on the way fire) and lets everything settle. */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startHarness(make: (deps: WorkloadControllerDeps) => Controller, start = Date.UTC(2026, 0, 1, 10, 0, 0)): Promise<Harness> {
  const clock = new FakeClock(start);
  const client = new FakeApiClient({ now: clock.date });
  const informers = fakeInformerFactory(client, { timers: clock });
  const queue = new RateLimitedQueue({ timers: clock, now: clock.now });
  const c = make({ client, informers, queue, log: { error() {} }, now: clock.now, random: sequence(), timers: clock });
  informers.start();
  c.run(2);
  const idle = () => settle(60);
  await idle();
  return {
    client,
    clock,
    idle,
    async advance(ms) {
      await clock.advance(ms);
      await idle();
    },
    async stop() {
      await c.stop();
      informers.stop();
    },
  };
}

export function podsOf(client: FakeApiClient, ns = 'default'): K8sObject[] {
  return client.stored<K8sObject>(PODS, ns);
}

export function eventsOf(client: FakeApiClient, ns = 'default'): string[] {
  return client.stored<K8sObject>(EVENTS, ns).map((e) => `${e.type} ${e.reason} ${e.message}`);
}

/** Sets a pod's status as a kubelet would (through the status subresource). */
export async function setPodStatus(client: FakeApiClient, pod: K8sObject, status: Record<string, unknown>): Promise<void> {
  const cur = client.stored<K8sObject>(PODS, pod.metadata.namespace).find((p) => p.metadata.name === pod.metadata.name)!;
  await client.update(PODS, cur.metadata.namespace!, { ...cur, status: { ...cur.status, ...status } }, 'status');
}

export function one(client: FakeApiClient, r: ResourceRef, ns = 'default'): K8sObject {
  const [o] = client.stored<K8sObject>(r, ns);
  if (!o) throw new Error(`no ${r.resource} stored`);
  return o;
}
