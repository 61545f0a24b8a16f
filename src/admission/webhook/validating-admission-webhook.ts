/**
 * ValidatingAdmissionWebhook: every matching ValidatingWebhookConfiguration webhook is called in
 * parallel; any denial or failed call (failurePolicy Fail) denies. When several fail, the first in
 * webhook order is reported (upstream reports whichever finished first).
 */
import { ApiError } from '../../api/errors.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { callHook } from './call-hook.ts';
import { WebhookConfigSource } from './config-source.ts';
import { CallingWebhookError, internalError, webhookRejection } from './errors.ts';
import { isExemptAdmissionConfigurationResource } from './rules.ts';
import { shouldCallHook } from './should-call.ts';
import type { Hook } from './types.ts';

const FAILED_OPEN_PREFIX = 'failed-open.validating.webhook.admission.k8s.io/';

export class ValidatingAdmissionWebhook implements ValidatingPlugin {
  readonly name = 'ValidatingAdmissionWebhook';
  readonly #deps: PluginDeps;
  readonly #source: WebhookConfigSource;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
    this.#source = new WebhookConfigSource(deps.store, 'validatingwebhookconfigurations', deps.log);
  }

  handles(a: AdmissionAttributes): boolean {
    if (isExemptAdmissionConfigurationResource(a)) return false;
    return !this.#source.loaded || this.#source.hooks().length > 0;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    await this.#source.ready();
    const hooks = this.#source.hooks();
    const relevant: { hook: Hook; index: number }[] = [];
    for (const [index, hook] of hooks.entries()) {
      if (await shouldCallHook(this.#deps, hook, a)) relevant.push({ hook, index });
    }
    const warnings: string[] = [];
    const auditAnnotations: Record<string, string> = {};
    const outcomes = await Promise.all(relevant.map(({ hook, index }) => this.#call(hook, index, a, warnings, auditAnnotations)));
    const failure = outcomes.find((o) => o !== undefined);
    // The warnings and annotations of every webhook called still go back with a denial, as upstream's.
    if (failure instanceof ApiError) return { allowed: false, error: failure, reason: failure.message, warnings, auditAnnotations };
    if (failure) throw failure;
    return { allowed: true, warnings, auditAnnotations, reason: relevant.length ? `admitted by ${relevant.map((r) => r.hook.name).join(', ')}` : undefined };
  }

  /** Resolves with the error that denies the request, or undefined. */
  async #call(hook: Hook, index: number, a: AdmissionAttributes, warnings: string[], annotations: Record<string, string>): Promise<Error | undefined> {
    try {
      const r = await callHook(this.#deps, hook, a, false);
      for (const [k, v] of Object.entries(r.auditAnnotations)) annotations[`${hook.name}/${k}`] = v;
      warnings.push(...r.warnings);
      return r.allowed ? undefined : webhookRejection(hook.name, r.result);
    } catch (err) {
      if (!(err instanceof CallingWebhookError)) return err as Error;
      if (hook.failOpen) {
        this.#deps.log.warn({ webhook: hook.name, err: err.message }, 'Failed calling webhook, failing open');
        annotations[`${FAILED_OPEN_PREFIX}round_0_index_${index}`] = hook.name;
        return undefined;
      }
      this.#deps.log.warn({ webhook: hook.name, err: err.message }, 'Failed calling webhook, failing closed');
      return internalError(err.message);
    }
  }

  /** Stops the configuration watch. */
  close(): void {
    this.#source.close();
  }
}
