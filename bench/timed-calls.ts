/**
 * Per-method call times of an object (a container runtime, an image service): a Proxy that
 * times every call returning a promise, for the pod-start bench's phase breakdown
 * (BENCH_PHASES=1). Only the bench uses it; the agent runs unwrapped otherwise.
 */
import { summarize, type LatencySummary } from './stats.ts';

export interface CallTimes {
  summary(): Record<string, LatencySummary>;
}

export function timedCalls<T extends object>(target: T, prefix: string, times = new Map<string, number[]>()): { object: T; times: CallTimes } {
  const object = new Proxy(target, {
    get(t, key, receiver) {
      const v = Reflect.get(t, key, receiver) as unknown;
      if (typeof v !== 'function' || typeof key !== 'string') return v;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const out = (v as (...a: unknown[]) => unknown).apply(t, args);
        if (!(out instanceof Promise)) return out;
        const name = `${prefix}.${key}`;
        const record = () => (times.get(name) ?? times.set(name, []).get(name)!).push(performance.now() - t0);
        out.then(record, record);
        return out;
      };
    },
  });
  return { object, times: { summary: () => Object.fromEntries([...times].map(([k, v]) => [k, summarize(v)])) } };
}
