import { rfc3339 } from '../../api/time.ts';
import { StorageError, type Store, type Watcher } from '../../storage/types.ts';
import type { Obj } from './store-ops.ts';
import { createKeyQueue, type KeyQueueOptions } from './key-queue.ts';

const NAMESPACES = '/registry/core/namespaces/';
const SERVICE_ACCOUNTS = '/registry/core/serviceaccounts/';
const CONFIG_MAPS = '/registry/core/configmaps/';
export const ROOT_CA_CONFIG_MAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION_KEY = 'kubernetes.io/description';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface ServiceAccountControllerDeps {
  store: Store;
  now: () => Date;
  newUid: () => string;
  log: { error(obj: unknown, msg?: string): void };
}

export interface ServiceAccountControllerOptions {
  /** The cluster CA, published in every namespace as ConfigMap kube-root-ca.crt (upstream's root-ca-cert-publisher). */
  caPem?: string;
  /** Backoff of a namespace whose sync failed. */
  retry?: KeyQueueOptions;
}

/**
 * Every active namespace has a `default` ServiceAccount (recreated if deleted), and, given the
 * cluster CA, a `kube-root-ca.crt` ConfigMap holding it (restored if deleted or changed), which
 * the ServiceAccount admission plugin mounts into pods.
 */
export function startServiceAccountController(deps: ServiceAccountControllerDeps, opts: ServiceAccountControllerOptions = {}): () => void {
  const watchers: Watcher[] = [];
  let stopped = false;

  // Each namespace is a key: a sync that throws is logged and retried with backoff.
  const queue = createKeyQueue('service account controller', (ns) => sync(ns), deps.log, opts.retry);
  const enqueue = (ns: unknown) => {
    if (typeof ns === 'string' && ns !== '') queue.add(ns);
  };

  const meta = (name: string, namespace: string) => ({ name, namespace, uid: deps.newUid(), creationTimestamp: rfc3339(deps.now()) });

  const createIfMissing = async (key: string, value: Obj) => {
    try {
      await deps.store.create(key, value);
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'KeyExists')) throw err;
    }
  };

  const sync = async (ns: string) => {
    const nsObj = await deps.store.get<Obj>(NAMESPACES + ns);
    // Nothing is created in a namespace that is gone or going.
    if (!nsObj || nsObj.value.metadata?.deletionTimestamp || nsObj.value.status?.phase === 'Terminating') return;
    const saKey = `${SERVICE_ACCOUNTS}${ns}/default`;
    if (!(await deps.store.get(saKey))) {
      await createIfMissing(saKey, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default', ns) });
    }
    if (opts.caPem === undefined) return;
    const cmKey = `${CONFIG_MAPS}${ns}/${ROOT_CA_CONFIG_MAP}`;
    const cm = await deps.store.get<Obj>(cmKey);
    if (!cm) {
      await createIfMissing(cmKey, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...meta(ROOT_CA_CONFIG_MAP, ns), annotations: { [ROOT_CA_DESCRIPTION_KEY]: ROOT_CA_DESCRIPTION } },
        data: { 'ca.crt': opts.caPem },
      });
      return;
    }
    const v = cm.value;
    if (v.data?.['ca.crt'] === opts.caPem && Object.keys(v.data ?? {}).length === 1 && v.metadata?.annotations?.[ROOT_CA_DESCRIPTION_KEY] === ROOT_CA_DESCRIPTION) return;
    const next = { ...v, metadata: { ...v.metadata, annotations: { ...(v.metadata?.annotations ?? {}), [ROOT_CA_DESCRIPTION_KEY]: ROOT_CA_DESCRIPTION } }, data: { 'ca.crt': opts.caPem } };
    delete (next as Obj).binaryData;
    try {
      await deps.store.update(cmKey, next, cm.modRevision);
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'Conflict' || err.code === 'NotFound')) return 'requeue' as const;
      throw err;
    }
  };

  const nsOfKey = (key: string, prefix: string) => key.slice(prefix.length).split('/')[0];
  const nameOfKey = (key: string) => key.split('/').pop();

  void (async () => {
    const list = await deps.store.list<Obj>(NAMESPACES);
    if (stopped) return;
    for (const i of list.items) enqueue(i.value.metadata?.name);
    watchers.push(
      deps.store.watch<Obj>(NAMESPACES, list.revision, {
        onEvent: (e) => e.type !== 'DELETED' && enqueue(e.value?.metadata?.name),
      }),
      deps.store.watch<Obj>(SERVICE_ACCOUNTS, list.revision, {
        onEvent: (e) => e.type === 'DELETED' && nameOfKey(e.key) === 'default' && enqueue(nsOfKey(e.key, SERVICE_ACCOUNTS)),
      }),
    );
    if (opts.caPem !== undefined) {
      watchers.push(
        deps.store.watch<Obj>(CONFIG_MAPS, list.revision, {
          onEvent: (e) => e.type !== 'ADDED' && nameOfKey(e.key) === ROOT_CA_CONFIG_MAP && enqueue(nsOfKey(e.key, CONFIG_MAPS)),
        }),
      );
    }
  })().catch((err) => deps.log.error({ err }, 'service account controller failed to start'));

  return () => {
    stopped = true;
    for (const w of watchers) w.close();
    queue.stop();
  };
}
