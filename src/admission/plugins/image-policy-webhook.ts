/**
 * ImagePolicyWebhook (plugin/pkg/admission/imagepolicy): a validating plugin that asks an
 * external backend, with an imagepolicy.k8s.io/v1alpha1 ImageReview, whether a pod's images may
 * run. Every pod create and update is reviewed (and writes of pods/ephemeralcontainers, for the
 * ephemeral containers' images); verdicts are cached by the review's spec, allows for allowTTL and
 * denials for denyTTL, in a bounded cache (upstream's 1024-entry LRU expire cache). Failed calls
 * are never cached.
 *
 * When the backend cannot be asked the pod is refused (403 naming the failure), unless
 * defaultAllow: then it is admitted, marked as upstream marks it, on the pod
 * (`alpha.image-policy.k8s.io/failed-open: "true"`) and in the audit record
 * (`imagepolicywebhook.image-policy.k8s.io/failed-open: "true"`). The backend's auditAnnotations
 * are recorded under the `imagepolicywebhook.image-policy.k8s.io/` prefix.
 */
import { isQualifiedName } from '../../api/validation/names.ts';
import { BoundedTtlCache } from '../../util/bounded-ttl-cache.ts';
import { ImageReviewBackend } from '../../image-policy/webhook/backend-client.ts';
import type { ImagePolicyWebhookConfig } from '../../image-policy/webhook/config.ts';
import { imageReviewSpec, type ImageReviewStatus } from '../../image-policy/webhook/image-review.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';

/** strings.ToLower(PluginName) + ".image-policy.k8s.io/" */
export const AUDIT_KEY_PREFIX = 'imagepolicywebhook.image-policy.k8s.io/';
export const FAILED_OPEN_AUDIT_KEY = `${AUDIT_KEY_PREFIX}failed-open`;
/** api.ImagePolicyFailedOpenKey: put on pods admitted because the backend failed. */
export const FAILED_OPEN_POD_ANNOTATION = 'alpha.image-policy.k8s.io/failed-open';
const CACHE_ENTRIES = 1024;

export class ImagePolicyWebhook implements ValidatingPlugin {
  readonly name = 'ImagePolicyWebhook';
  readonly #cfg: ImagePolicyWebhookConfig;
  readonly #backend: ImageReviewBackend;
  readonly #cache: BoundedTtlCache<ImageReviewStatus>;
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps, cfg: ImagePolicyWebhookConfig | undefined) {
    // Upstream refuses to start the plugin without its configuration.
    if (!cfg) throw new Error('ImagePolicyWebhook: no config specified (an ImagePolicyWebhook entry with imagePolicy in --admission-control-config-file)');
    this.#deps = deps;
    this.#cfg = cfg;
    this.#backend = new ImageReviewBackend({ kubeConfigFile: cfg.kubeConfigFile, retryBackoffMs: cfg.retryBackoffMs });
    this.#cache = new BoundedTtlCache(CACHE_ENTRIES, cfg.now ?? (() => deps.now().getTime()));
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    if (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') return false;
    return a.resource.group === '' && a.resource.resource === 'pods' && !!a.object;
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const pod = a.object!;
    const spec = imageReviewSpec(pod, a.namespace, a.subresource);
    const key = JSON.stringify(spec);
    let status = this.#cache.get(key);
    if (!status) {
      try {
        status = await this.#backend.review(spec);
      } catch (err) {
        return this.#failed(pod, err as Error);
      }
      this.#cache.set(key, status, status.allowed ? this.#cfg.allowTtlMs : this.#cfg.denyTtlMs);
    }
    const auditAnnotations = this.#auditAnnotations(status);
    if (status.allowed) return { allowed: true, auditAnnotations };
    const reason = status.reason ? `image policy webhook backend denied one or more images: ${status.reason}` : 'one or more images rejected by webhook backend';
    return { allowed: false, reason, auditAnnotations };
  }

  /** upstream webhookError: fail closed, or open with both marks when defaultAllow. */
  #failed(pod: Record<string, any>, err: Error): Verdict {
    this.#deps.log.warn({ err: err.message, defaultAllow: this.#cfg.defaultAllow }, 'error contacting image policy webhook backend');
    if (!this.#cfg.defaultAllow) return { allowed: false, reason: err.message };
    pod.metadata ??= {};
    pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [FAILED_OPEN_POD_ANNOTATION]: 'true' };
    return { allowed: true, reason: `admitted in spite of backend failure: ${err.message}`, auditAnnotations: { [FAILED_OPEN_AUDIT_KEY]: 'true' } };
  }

  /** The backend's audit annotations under the plugin's prefix; a key that is not a qualified name is dropped, as upstream's AddAnnotation refuses it. */
  #auditAnnotations(status: ImageReviewStatus): Record<string, string> | undefined {
    if (!status.auditAnnotations) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(status.auditAnnotations)) {
      const key = AUDIT_KEY_PREFIX + k;
      if (isQualifiedName(key).length === 0) out[key] = v;
      else this.#deps.log.warn({ key }, 'image policy webhook backend returned an invalid audit annotation key');
    }
    return out;
  }
}
