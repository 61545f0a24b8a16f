/**
 * Writes a ValidatingAdmissionPolicy's status after each new generation (upstream's
 * validatingadmissionpolicy-status controller): observedGeneration and typeChecking with the
 * expression warnings of the type checker. API-server machinery: it writes through the server's
 * own read-modify-write of stored objects, never touching a newer generation than it checked.
 */
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import type { Logger } from 'pino';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import { mutate } from '../../server/store-mutate.ts';
import type { Store } from '../../storage/types.ts';
import { typeCheckPolicy } from './type-check.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const PREFIX = builtinPrefix('admissionregistration.k8s.io', 'validatingadmissionpolicies');

export class PolicyStatusWriter {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #registry: ResourceRegistry | undefined;
  /** Names being written now: one write per policy at a time (bounded by the stored policies). */
  readonly #busy = new Set<string>();
  readonly #again = new Set<string>();
  #pending: Promise<unknown>[] = [];
  #closed = false;

  constructor(store: Store, log: Logger, registry?: ResourceRegistry) {
    this.#store = store;
    this.#log = log;
    this.#registry = registry;
  }

  /** Called with every stored version of a policy; writes status when its generation is new. */
  observe(p: ValidatingAdmissionPolicy): void {
    const name = p.metadata?.name;
    const generation = p.metadata?.generation ?? 0;
    if (!name || this.#closed || p.status?.observedGeneration === generation) return;
    if (this.#busy.has(name)) {
      this.#again.add(name);
      return;
    }
    this.#busy.add(name);
    const done = this.#write(name)
      .catch((err: unknown) => this.#log.warn({ err, policy: name }, 'failed to update ValidatingAdmissionPolicy status'))
      .finally(() => {
        this.#busy.delete(name);
        this.#pending = this.#pending.filter((x) => x !== done);
        if (this.#again.delete(name)) void this.#store.get<ValidatingAdmissionPolicy>(PREFIX + name).then((s) => s && this.observe(s.value));
      });
    this.#pending.push(done);
  }

  async #write(name: string): Promise<void> {
    await mutate(this.#store, PREFIX + name, (o) => {
      const p = o as { -readonly [K in keyof ValidatingAdmissionPolicy]: ValidatingAdmissionPolicy[K] };
      const generation = p.metadata?.generation ?? 0;
      if (this.#closed || p.status?.observedGeneration === generation) return undefined;
      const warnings = typeCheckPolicy(p, this.#registry);
      p.status = { ...p.status, observedGeneration: generation, typeChecking: warnings.length > 0 ? { expressionWarnings: warnings } : {} };
      return o;
    });
  }

  /** Resolves when the writes under way are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.length > 0) await Promise.all(this.#pending);
  }

  close(): void {
    this.#closed = true;
  }
}
