/**
 * The in-cluster client boundary: everything in src/cluster (controllers, scheduler, simulated
 * nodes, node agents) reaches the API server through these interfaces only, as its own identity,
 * so authentication, authorization and admission apply to it as to any client (DESIGN.md). Nothing
 * in src/cluster imports the store.
 *
 * Shapes follow client-go: a typed-error REST client, shared informers (one list+watch per
 * resource per process, with indexers), a rate-limited work queue, and Lease-based leader election.
 */

export type K8sObject = Record<string, any> & {
  apiVersion?: string;
  kind?: string;
  metadata: Record<string, any> & { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
};

/** A served resource, as the client addresses it. */
export interface ResourceRef {
  group: string;
  version: string;
  /** Plural, lower case (the URL segment). */
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** How a client proves who it is: a client certificate from the cluster CA, or a bearer token. */
export interface ClientIdentity {
  /** CA bundle that signs the API server's serving certificate. */
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /**
   * A file holding the token, re-read about every minute (client-go's cached file token source);
   * what it holds wins over `token`, which is used while the file cannot be read.
   */
  tokenFile?: string;
  /** The name the server's certificate must carry, when not the URL's host (kubeconfig tls-server-name). */
  serverName?: string;
}

export interface ClientConfig {
  /** https://host:port of the API server. */
  server: string;
  identity: ClientIdentity;
  /** Sent as User-Agent; names the component in logs and audit. */
  userAgent: string;
  /** Ask for protobuf where the kind has a protobuf form (client-go's default for built-ins). */
  protobuf?: boolean;
  /** Retries of 429 / 5xx / connection errors with backoff (default 5; 0 disables). */
  maxRetries?: number;
  /** Idle connections kept (TransportOptions.maxIdleConnections; default all). */
  maxIdleConnections?: number;
  /** Connections at most, watches included (TransportOptions.maxConnections; default 32). */
  maxConnections?: number;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
}

export interface ListResult<T extends K8sObject> {
  items: T[];
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

export interface WatchOptions {
  resourceVersion: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends K8sObject> {
  type: WatchEventType;
  /** The object; for ERROR a metav1.Status. */
  object: T;
}

export interface WatchHandle {
  close(): void;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/**
 * A REST client for one identity. Every failure is an ApiStatusError carrying the server's
 * Status (code, reason, message, details) or, for transport failures after the retries, code 0.
 * Namespace is '' for cluster-scoped resources and for lists/watches across all namespaces.
 */
export interface ApiClient {
  readonly config: ClientConfig;
  get<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource?: string): Promise<T>;
  list<T extends K8sObject>(r: ResourceRef, namespace: string, opts?: ListOptions): Promise<ListResult<T>>;
  /**
   * Streams events until the server ends the watch, the handle is closed or the connection
   * breaks; `onClose` is called once, with the error when it did not end cleanly (closing the
   * handle also ends in onClose(), without error). A watch from a revision older than the
   * server's history ends with an ERROR event carrying a 410 Status, or with a 410 error.
   */
  watch<T extends K8sObject>(r: ResourceRef, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle;
  create<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** PUT of the whole object (or of a subresource: status, scale, approval, ...). */
  update<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, subresource?: string, opts?: WriteOptions): Promise<T>;
  patch<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, type: PatchType, patch: unknown, subresource?: string, opts?: WriteOptions): Promise<T>;
  delete(r: ResourceRef, namespace: string, name: string, opts?: DeleteOptions): Promise<void>;
  /** DELETE on the collection (every object the selectors match, each with the same options). */
  deleteCollection(r: ResourceRef, namespace: string, opts?: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'>): Promise<void>;
  /** POST to a subresource of a named object (pods/binding, pods/eviction, serviceaccounts/token). */
  postSubresource<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource: string, body: K8sObject): Promise<T>;
  /** DELETE of any path (nodes/proxy: a node agent's endpoint); errors as for the other calls. */
  deletePath?(path: string): Promise<void>;
  close(): void;
}

export interface EventHandlers<T extends K8sObject> {
  add?(obj: T): void;
  update?(oldObj: T, newObj: T): void;
  /** The last known state of the object (after a relist, possibly older than the deletion). */
  delete?(obj: T): void;
}

/** Index name → function from an object to its index values. 'namespace' is always present. */
export type Indexers<T extends K8sObject> = Record<string, (obj: T) => string[]>;

/**
 * A shared informer: a local, read-only cache of one resource kept current by one list+watch
 * (relist on 410 Expired or a broken watch), with indexers. Objects handed out are frozen and
 * shared: callers copy before they change anything.
 */
export interface Informer<T extends K8sObject> {
  readonly resource: ResourceRef;
  get(namespace: string, name: string): T | undefined;
  list(): T[];
  byIndex(index: string, value: string): T[];
  addEventHandler(h: EventHandlers<T>): void;
  addIndexers(indexers: Indexers<T>): void;
  hasSynced(): boolean;
  /** Resolves once the first list has been applied (rejects if the factory stops first). */
  synced(): Promise<void>;
}

/** One informer per resource per process; started together, stopped together. */
export interface InformerFactory {
  informer<T extends K8sObject>(r: ResourceRef): Informer<T>;
  start(): void;
  stop(): void;
}

/** client-go's rate-limited work queue: a key is processed by one worker at a time. */
export interface WorkQueue {
  add(key: string): void;
  addAfter(key: string, delayMs: number): void;
  /** Re-add with per-key exponential backoff (after a failed sync). */
  addRateLimited(key: string): void;
  /** Reset the key's backoff (after a successful sync). */
  forget(key: string): void;
  /** The next key, or undefined once shut down. */
  get(): Promise<string | undefined>;
  /** Processing of `key` is over; if it was added meanwhile it becomes available again. */
  done(key: string): void;
  shutDown(): void;
  readonly length: number;
}

export interface LeaderElectionConfig {
  /** coordination.k8s.io/v1 Lease, e.g. kube-system/kube-controller-manager. */
  namespace: string;
  name: string;
  /** holderIdentity written into the Lease (host name + random suffix, as upstream). */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export interface LeaderElector {
  isLeader(): boolean;
  stop(): Promise<void>;
}

/** A controller run by the controller manager: starts its workers, stops them. */
export interface Controller {
  readonly name: string;
  run(workers: number): void;
  stop(): Promise<void>;
}
