import type { Logger } from 'pino';
import type { Authorizer } from '../authz/types.ts';
import type { Store } from '../storage/types.ts';

/** What an admission plugin may use, injected when the chain is built. */
export interface PluginDeps {
  /** The storage (reads of namespaces, quotas, limit ranges...; quota charging). */
  store: Store;
  /** The authorizer chain (e.g. `use` on a PodSecurityPolicy, `impersonate`, `bind`). */
  authorizer: Authorizer;
  now: () => Date;
  random: () => number;
  newUid: () => string;
  log: Logger;
  /** Admission webhook calls, timed (metrics). */
  observeWebhook?: (name: string, type: 'admit' | 'validate', operation: string, rejected: boolean, seconds: number) => void;
}
