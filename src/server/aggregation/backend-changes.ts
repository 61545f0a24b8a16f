/**
 * Upstream's AvailableConditionController also follows Services and their endpoints: a change to
 * the Service an APIService names, to its Endpoints or to one of its EndpointSlices checks that
 * APIService again at once. Without it a backend that moved (one server's endpoints withdrawn,
 * another's added) stays marked by the check made in between until the next resync (30 s).
 * Only notifications are needed, so this watches from the current revision without listing; a
 * broken watch starts again from the then current revision and checks every APIService, as
 * changes may have been missed meanwhile.
 */
import type { Store, Watcher, WatchEvent } from '../../storage/types.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

const SERVICES = builtinPrefix('', 'services');
const ENDPOINTS = builtinPrefix('', 'endpoints');
const SLICES = builtinPrefix('discovery.k8s.io', 'endpointslices');

/** namespace/name of the Service an object under one of the prefixes belongs to. */
export function serviceOf(prefix: string, o: Obj | undefined): string | undefined {
  const ns = o?.metadata?.namespace;
  const name = prefix === SLICES ? o?.metadata?.labels?.['kubernetes.io/service-name'] : o?.metadata?.name;
  return typeof ns === 'string' && typeof name === 'string' ? `${ns}/${name}` : undefined;
}

export interface BackendDeps {
  store: Pick<Store, 'currentRevision' | 'watch'>;
  /** The APIServices known now. */
  apiServices: () => Iterable<Obj>;
  enqueue: (name: string) => void;
  onError: (err: unknown) => void;
  /** Delay before watching again after a broken watch (default 1000 ms). */
  retryMs?: number;
}

export function followBackends(deps: BackendDeps): { stop(): void } {
  let watchers: Watcher[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const changed = (service: string | undefined) => {
    if (service === undefined) return;
    for (const a of deps.apiServices()) {
      const s = a.spec?.service;
      if (s && `${s.namespace}/${s.name}` === service && typeof a.metadata?.name === 'string') deps.enqueue(a.metadata.name);
    }
  };
  const all = () => {
    for (const a of deps.apiServices()) if (a.spec?.service && typeof a.metadata?.name === 'string') deps.enqueue(a.metadata.name);
  };
  const restart = (err: Error) => {
    if (stopped || timer) return;
    deps.onError(err);
    for (const w of watchers) w.close();
    watchers = [];
    timer = setTimeout(() => {
      timer = undefined;
      start();
      all();
    }, deps.retryMs ?? 1000);
    timer.unref();
  };
  const start = () => {
    if (stopped) return;
    const rev = deps.store.currentRevision();
    watchers = [SERVICES, ENDPOINTS, SLICES].map((prefix) =>
      deps.store.watch<Obj>(prefix, rev, {
        onEvent: (e: WatchEvent<Obj>) => {
          changed(serviceOf(prefix, e.value));
          // A slice relabelled to another Service leaves the first one too.
          const before = serviceOf(prefix, e.prevValue);
          if (before !== serviceOf(prefix, e.value)) changed(before);
        },
        onError: restart,
      }),
    );
  };
  start();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
      watchers = [];
    },
  };
}
