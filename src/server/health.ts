/** /healthz, /livez and /readyz with their ?verbose and per-check forms, as upstream prints them. */

export interface HealthCheck {
  name: string;
  check: () => Promise<void> | void;
}

/** The parts of a Store the etcd check needs. */
interface CheckedStore {
  get(key: string): Promise<unknown>;
  checkHealth?(): Promise<void>;
}

/**
 * Upstream's `etcd` check. A read alone says nothing about a full or read-only disk (and the
 * watch cache answers reads from memory), so a store that can tell whether it accepts writes is
 * asked that; the reason stays withheld from the response, as upstream does.
 */
export function storeHealthCheck(store: CheckedStore, probeKey: string): HealthCheck {
  return {
    name: 'etcd',
    check: async () => {
      if (store.checkHealth) await store.checkHealth();
      else await store.get(probeKey);
    },
  };
}

export interface HealthAnswer {
  code: number;
  text: string;
}

export async function runHealth(endpoint: string, checks: HealthCheck[], verbose: boolean, only?: string): Promise<HealthAnswer | undefined> {
  const selected = only ? checks.filter((c) => c.name === only) : checks;
  if (only && selected.length === 0) return undefined;
  const lines: string[] = [];
  let failed = false;
  for (const c of selected) {
    try {
      await c.check();
      lines.push(`[+]${c.name} ok`);
    } catch {
      failed = true;
      lines.push(`[-]${c.name} failed: reason withheld`);
    }
  }
  if (failed) return { code: 500, text: `${lines.join('\n')}\n${endpoint} check failed\n` };
  if (only || !verbose) return { code: 200, text: 'ok' };
  return { code: 200, text: `${lines.join('\n')}\n${endpoint} check passed\n` };
}
