import type { Logger } from 'pino';
import type { AdmissionChain } from '../../admission/chain.ts';
import type { UserInfo } from '../../authn/types.ts';
import type { Schema } from '../../api/schema/types.ts';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { Store } from '../../storage/types.ts';
import type { RequestInfo } from '../request-info.ts';
import type { AdmissionOutcome } from '../../admission/chain.ts';
import type { Authorizer } from '../../authz/types.ts';
import type { TokenRequestHandler } from '../../authn/service-account/token-request.ts';
import type { OidcDiscovery } from '../../authn/service-account/discovery.ts';
import type { ReviewAuthenticate } from '../../authn/token-review.ts';
import type { RbacAuthorizer } from '../../authz/rbac/authorizer.ts';
import type { Aggregator } from '../aggregation/index.ts';
import type { WatchRegistry } from './watch-limits.ts';
import type { ApiserverMetrics } from '../../metrics/apiserver-metrics.ts';
import type { TraceRing } from '../trace.ts';
import type { KubeletClientTls } from '../node-proxy/kubelet-proxy.ts';
import type { PortRange } from './service-node-ports.ts';

/** Everything the REST handlers need, built once with the server (clock and randomness injected). */
export interface RestContext {
  store: Store;
  registry: ResourceRegistry;
  schema: Schema;
  admission: AdmissionChain;
  /** The authorizer chain of the pipeline, for the access review APIs. */
  authorizer: Authorizer;
  now: () => Date;
  /** Random source for generated names. */
  random: () => number;
  newUid: () => string;
  log: Logger;
  /** Watch bookmark interval in ms. */
  bookmarkIntervalMs: number;
  /** Per-user watch cap, per-watch backlog bounds and their counters. */
  watches: WatchRegistry;
  /** serviceaccounts/<name>/token, when service-account tokens are configured. */
  tokenRequest?: TokenRequestHandler;
  /** The service-account issuer's discovery documents, once the serving address is known. */
  oidcDiscovery?: OidcDiscovery;
  /** TokenReview: the server's bearer-token chain. */
  reviewToken?: ReviewAuthenticate;
  /** RBAC, when enabled: escalation checks on role and binding writes, SelfSubjectRulesReview. */
  rbac?: RbacAuthorizer;
  apiAudiences?: string[];
  /** API aggregation (APIServices backed by a Service), when started with the control plane. */
  aggregator?: Aggregator;
  /** This server's metrics (`/metrics`) and recent decision traces (`portcullis explain`). */
  metrics?: ApiserverMetrics;
  traces?: TraceRing;
  /** This server's client identity towards node agents (pods/log, exec, attach, portforward). */
  kubeletClient?: KubeletClientTls;
  /** Checks beyond the built-in ones on /healthz, /livez and /readyz (the KMS plugins'). */
  healthChecks?: Array<{ name: string; check: () => Promise<void> | void }>;
  /** --service-node-port-range (default 30000-32767). */
  serviceNodePortRange?: PortRange;
  /** --allow-privileged (default false): privileged containers and Windows hostProcess pods pass validation. */
  allowPrivileged?: boolean;
}

/** One resource request after authentication and authorization. */
export interface RestRequest {
  info: RequestInfo;
  def: ResourceDef;
  user: UserInfo;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
  /** Warnings to return in Warning headers. */
  warnings: string[];
  admission: AdmissionOutcome;
  /** Told the size of each watch event written (metrics). */
  onWatchEvent?: (bytes: number) => void;
}

/** A handler's answer: an HTTP code and a JSON body (object, list or Status). */
export interface RestResponse {
  code: number;
  body: unknown;
  /** The body already serialised as JSON (then `body` is not used). */
  raw?: string;
  /** Content-Type when not plain application/json (Tables). */
  contentType?: string;
}
