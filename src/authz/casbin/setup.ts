/**
 * Starting the Casbin mode: the model from a file; the policy from a file, or from a ConfigMap
 * in kube-system (key policy.csv) watched and reloaded. Any error in what is there at start
 * stops the start. A later ConfigMap generation that does not load is logged and the last good
 * one stays in force (never an allow-all, never an empty policy by accident), with a Warning
 * Event on the ConfigMap saying why; deleting the
 * ConfigMap also keeps the last good policy, so a deny list cannot be dropped by a delete:
 * write an empty policy.csv to clear it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { WatchedObjects } from '../../admission/watched-objects.ts';
import type { Store } from '../../storage/types.ts';
import { CasbinAuthorizer, type CasbinAuthorizerOptions } from './authorizer.ts';
import { CasbinEngine } from './engine.ts';
import { loadCasbinModel, type CasbinModel } from './model.ts';
import { parsePolicy } from './policy.ts';
import { builtinKey, builtinPrefix } from '../../api/registry/resource-def.ts';

export const POLICY_CONFIGMAP_NAMESPACE = 'kube-system';
export const POLICY_CONFIGMAP_KEY = 'policy.csv';

export interface CasbinModeConfig {
  /** --authorization-casbin-model: the model (.conf) file. */
  model: string;
  /** --authorization-casbin-policy: the policy (CSV) file. */
  policyFile?: string;
  /** --authorization-casbin-policy-configmap: a ConfigMap's name in kube-system. */
  policyConfigMap?: string;
  /** The clock time-of-day models read (injected by tests). */
  now?: () => Date;
}

export interface CasbinHandle {
  authorizer: CasbinAuthorizer;
  /** The last ConfigMap generation that did not load, while the previous one stays in force. */
  lastError(): string | undefined;
  stop(): void;
}

interface ConfigMap {
  metadata?: { name?: string; resourceVersion?: string; uid?: string };
  data?: Record<string, string>;
}
interface Namespace {
  metadata?: { name?: string; labels?: Record<string, string> };
}

/** For the Warning Event on a rejected policy generation. */
export interface CasbinSetupDeps {
  now?: () => Date;
  newUid?: () => string;
}

export async function startCasbinAuthorizer(cfg: CasbinModeConfig, store: Store, log: Logger, deps: CasbinSetupDeps = {}): Promise<CasbinHandle> {
  if (!cfg.model) throw new Error('--authorization-mode=Casbin needs --authorization-casbin-model');
  if (!cfg.policyFile === !cfg.policyConfigMap) throw new Error('--authorization-mode=Casbin needs exactly one of --authorization-casbin-policy and --authorization-casbin-policy-configmap');
  const model = loadCasbinModel(readText(cfg.model, 'model'), cfg.model);
  const stops: Array<() => void> = [];
  let namespaceLabels: ((ns: string) => Promise<Readonly<Record<string, string>>>) | undefined;
  if (model.requestTokens.includes('nsLabels')) {
    const labels = new Map<string, Record<string, string>>();
    const namespaces = new WatchedObjects<Namespace>(store, builtinPrefix('', 'namespaces'), log, (name, ns) => (ns ? labels.set(name, ns.metadata?.labels ?? {}) : labels.delete(name)));
    await namespaces.ready();
    stops.push(() => namespaces.close());
    namespaceLabels = async (ns) => {
      await namespaces.ready();
      return labels.get(ns) ?? {};
    };
  }
  const opts = { namespaceLabels, now: cfg.now };
  if (cfg.policyFile) {
    const engine = await CasbinEngine.build(model, parsePolicy(readText(cfg.policyFile, 'policy'), cfg.policyFile, model.shapes));
    return { authorizer: new CasbinAuthorizer(engine, opts), lastError: () => undefined, stop: () => stops.forEach((s) => s()) };
  }
  return watchConfigMap(model, cfg.policyConfigMap!, store, log, opts, stops, deps);
}

async function watchConfigMap(model: CasbinModel, name: string, store: Store, log: Logger, opts: CasbinAuthorizerOptions, stops: Array<() => void>, deps: CasbinSetupDeps): Promise<CasbinHandle> {
  const source = `configmap ${POLICY_CONFIGMAP_NAMESPACE}/${name} ${POLICY_CONFIGMAP_KEY}`;
  const load = (cm: ConfigMap) => CasbinEngine.build(model, parsePolicy(cm.data?.[POLICY_CONFIGMAP_KEY] ?? '', source, model.shapes));
  let latest: ConfigMap | undefined;
  let lastError: string | undefined;
  let authorizer: CasbinAuthorizer | undefined;
  // Generations load in order; a slow build never overwrites a newer one.
  let chain = Promise.resolve();
  const onChange = (key: string, cm: ConfigMap | undefined) => {
    if (key !== name) return;
    if (!cm) {
      log.warn({ configmap: `${POLICY_CONFIGMAP_NAMESPACE}/${name}` }, 'Casbin policy ConfigMap deleted; the last loaded policy stays in force');
      return;
    }
    latest = cm;
    if (!authorizer) return;
    const a = authorizer;
    chain = chain.then(async () => {
      if (latest !== cm) return;
      try {
        a.replace(await load(cm));
        lastError = undefined;
        log.info({ configmap: `${POLICY_CONFIGMAP_NAMESPACE}/${name}`, resourceVersion: cm.metadata?.resourceVersion }, 'Casbin policy reloaded');
      } catch (err) {
        lastError = (err as Error).message;
        log.error({ configmap: `${POLICY_CONFIGMAP_NAMESPACE}/${name}`, resourceVersion: cm.metadata?.resourceVersion, err: lastError }, 'Casbin policy not loaded; the last good policy stays in force');
        await rejectionEvent(store, cm, name, lastError, deps).catch((err: unknown) => log.warn({ err }, 'could not record the Casbin policy rejection event'));
      }
    });
  };
  const configMaps = new WatchedObjects<ConfigMap>(store, builtinKey('', 'configmaps', POLICY_CONFIGMAP_NAMESPACE, ''), log, onChange);
  await configMaps.ready();
  stops.push(() => configMaps.close());
  if (!latest) log.warn({ configmap: `${POLICY_CONFIGMAP_NAMESPACE}/${name}` }, 'Casbin policy ConfigMap not found; no policy lines until it is created');
  // What is there at start must load: an error stops the start.
  const first = latest;
  // A watch that failed relists before the next decision (fail closed if the store is down).
  authorizer = new CasbinAuthorizer(await load(first ?? {}), { ...opts, refresh: () => configMaps.ready(), upToDate: () => configMaps.loaded });
  if (latest && latest !== first) onChange(name, latest);
  return { authorizer, lastError: () => lastError, stop: () => stops.forEach((s) => s()) };
}

/**
 * A Warning Event on the ConfigMap (`kubectl get events -n kube-system`): whoever wrote the bad
 * policy sees why it is not in force without reading the server's log. One per rejected
 * generation, and only an administrator can write the ConfigMap, so their number is bounded by
 * the writes.
 */
async function rejectionEvent(store: Store, cm: ConfigMap, name: string, message: string, deps: CasbinSetupDeps): Promise<void> {
  const t = (deps.now ?? (() => new Date()))().toISOString().replace(/\.\d+Z$/, 'Z');
  const uid = (deps.newUid ?? randomUUID)();
  const eventName = `${name}.${uid.replace(/-/g, '').slice(0, 16)}`;
  await store.create(builtinKey('', 'events', POLICY_CONFIGMAP_NAMESPACE, eventName), {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: eventName, namespace: POLICY_CONFIGMAP_NAMESPACE, uid, creationTimestamp: t },
    involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', namespace: POLICY_CONFIGMAP_NAMESPACE, name, uid: cm.metadata?.uid, resourceVersion: cm.metadata?.resourceVersion },
    reason: 'CasbinPolicyRejected',
    message: `${message.slice(0, 1000)}; the last good policy stays in force`,
    source: { component: 'portcullis-casbin-authorizer' },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
    type: 'Warning',
    eventTime: null,
    reportingComponent: 'portcullis-casbin-authorizer',
    reportingInstance: '',
  });
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Casbin ${what} ${path}: ${(err as Error).message}`);
  }
}
