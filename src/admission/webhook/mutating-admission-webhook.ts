/**
 * MutatingAdmissionWebhook: matching MutatingWebhookConfiguration webhooks are called one after
 * another, each seeing the object as the previous ones patched it. Webhooks with
 * reinvocationPolicy IfNeeded run once more if a later webhook changed the object. (Upstream also
 * reinvokes them after in-tree mutating plugins that follow; this chain has no such round.)
 */
import { ApiError } from '../../api/errors.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, Verdict } from '../types.ts';
import { applyResponsePatch, UndecodablePatch } from './apply-response-patch.ts';
import { callHook } from './call-hook.ts';
import { WebhookConfigSource } from './config-source.ts';
import { CallingWebhookError, internalError, webhookRejection } from './errors.ts';
import { isExemptAdmissionConfigurationResource } from './rules.ts';
import { shouldCallHook } from './should-call.ts';
import type { Hook } from './types.ts';

const MUTATION_PREFIX = 'mutation.webhook.admission.k8s.io/';
const FAILED_OPEN_PREFIX = 'failed-open.mutation.webhook.admission.k8s.io/';

interface RunState {
  warnings: string[];
  auditAnnotations: Record<string, string>;
  patches: unknown[];
  /** IfNeeded webhooks invoked since the last change. */
  invoked: Set<string>;
  /** Webhooks to call again in round 1. */
  reinvoke: Set<string>;
}

export class MutatingAdmissionWebhook implements MutatingPlugin {
  readonly name = 'MutatingAdmissionWebhook';
  readonly #deps: PluginDeps;
  readonly #source: WebhookConfigSource;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
    this.#source = new WebhookConfigSource(deps.store, 'mutatingwebhookconfigurations', deps.log);
  }

  handles(a: AdmissionAttributes): boolean {
    if (isExemptAdmissionConfigurationResource(a)) return false;
    return !this.#source.loaded || this.#source.hooks().length > 0;
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    await this.#source.ready();
    const hooks = this.#source.hooks();
    const st: RunState = { warnings: [], auditAnnotations: {}, patches: [], invoked: new Set(), reinvoke: new Set() };
    const called: string[] = [];
    try {
      for (const round of [0, 1]) {
        if (round === 1 && st.reinvoke.size === 0) break;
        for (const [index, hook] of hooks.entries()) {
          if (!(await shouldCallHook(this.#deps, hook, a))) continue;
          // A webhook skipped in round 0 is never called for the first time in round 1.
          if (round === 1 && !st.reinvoke.has(hook.uid)) continue;
          const changed = await this.#call(hook, round, index, a, st);
          called.push(hook.name);
          if (changed) {
            for (const uid of st.invoked) st.reinvoke.add(uid);
            st.invoked.clear();
          }
          if (hook.reinvokeIfNeeded) st.invoked.add(hook.uid);
        }
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // A denial keeps the warnings and annotations gathered so far (the denying webhook's too).
      return { allowed: false, error: err, reason: err.message, warnings: st.warnings, auditAnnotations: st.auditAnnotations, patches: st.patches };
    }
    return {
      allowed: true,
      warnings: st.warnings,
      auditAnnotations: st.auditAnnotations,
      patches: st.patches,
      reason: called.length ? `called ${called.join(', ')}` : undefined,
    };
  }

  /** Whether the webhook changed the object; throws the ApiError that denies the request. */
  async #call(hook: Hook, round: number, index: number, a: AdmissionAttributes, st: RunState): Promise<boolean> {
    const at = `round_${round}_index_${index}`;
    let changed = false;
    try {
      const r = await callHook(this.#deps, hook, a, true);
      for (const [k, v] of Object.entries(r.auditAnnotations)) st.auditAnnotations[`${hook.name}/${k}`] = v;
      st.warnings.push(...r.warnings);
      if (!r.allowed) throw webhookRejection(hook.name, r.result);
      if (!r.patch) return false;
      let applied;
      try {
        applied = applyResponsePatch(hook.name, a.object, r.patch, r.patchType);
      } catch (err) {
        if (err instanceof UndecodablePatch) throw new CallingWebhookError(hook.name, err.message);
        throw err;
      }
      changed = applied.changed;
      if (applied.ops.length > 0) st.patches.push({ configuration: hook.configurationName, webhook: hook.name, patch: applied.ops, patchType: 'JSONPatch' });
      return changed;
    } catch (err) {
      if (!(err instanceof CallingWebhookError)) throw err;
      if (hook.failOpen) {
        this.#deps.log.warn({ webhook: hook.name, err: err.message }, 'Failed calling webhook, failing open');
        st.auditAnnotations[`${FAILED_OPEN_PREFIX}${at}`] = hook.name;
        return false;
      }
      this.#deps.log.warn({ webhook: hook.name, err: err.message }, 'Failed calling webhook, failing closed');
      throw internalError(err.message);
    } finally {
      st.auditAnnotations[`${MUTATION_PREFIX}${at}`] = JSON.stringify({ configuration: hook.configurationName, webhook: hook.name, mutated: changed });
    }
  }

  /** Stops the configuration watch. */
  close(): void {
    this.#source.close();
  }
}
