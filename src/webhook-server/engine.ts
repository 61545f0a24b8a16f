/**
 * The policy engine behind `portcullis webhook`: the API server's own ImageVerification,
 * ValidatingAdmissionPolicy and MutatingAdmissionPolicy plugins over the policy files, answering the three questions an
 * existing cluster asks a webhook: an ImageReview (ImagePolicyWebhook), a validating and a
 * mutating AdmissionReview. Nothing is decided here that the plugins do not decide inside
 * Portcullis; this file only turns their verdicts into the webhook answers.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AlwaysDenyAuthorizer } from '../authz/always.ts';
import { MutatingAdmissionPolicyPlugin } from '../admission/cel/mutating/mutating-admission-policy.ts';
import { ValidatingAdmissionPolicyPlugin } from '../admission/cel/validating-admission-policy.ts';
import type { AdmissionAttributes, Verdict } from '../admission/types.ts';
import type { ImageVerificationConfig } from '../image-policy/admission/config.ts';
import { ImageVerification } from '../image-policy/admission/plugin.ts';
import { POLICY_GROUP } from '../image-policy/trust-policy/crds.ts';
import type { ImageReviewSpec, ImageReviewStatus } from '../image-policy/webhook/image-review.ts';
import type { Store } from '../storage/types.ts';
import type { ReviewAnswer } from './admission-review.ts';
import { jsonPatchDiff } from './json-patch-diff.ts';
import type { PolicyStore } from './policy-store.ts';

const IMAGE_ANNOTATION_PREFIX = 'image-verification.portcullis.dev/';

export interface EngineOptions {
  policies: PolicyStore;
  /** The store the plugins read: the policy store, with the cluster's objects behind it. */
  store: Store;
  log: Logger;
  now: () => Date;
  imageVerification: ImageVerificationConfig;
}

/**
 * An annotation key a webhook may answer: the API server files it under "<webhook name>/<key>",
 * so the key is the name part of a qualified name (no slash, 63 characters at most).
 */
export function webhookAnnotationKey(key: string): string {
  const k = key.startsWith(IMAGE_ANNOTATION_PREFIX) ? key.slice(IMAGE_ANNOTATION_PREFIX.length) : key;
  return k.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63).replace(/[^A-Za-z0-9]+$/, '') || 'annotation';
}

function annotations(list: (Record<string, string> | undefined)[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const a of list) for (const [k, v] of Object.entries(a ?? {})) out[webhookAnnotationKey(k)] ??= v;
  return Object.keys(out).length ? out : undefined;
}

/** A denial as an AdmissionResponse status: the plugin's own Status when it has one. */
function denialStatus(v: Verdict): NonNullable<ReviewAnswer['status']> {
  if (v.error) {
    // The API server prefixes "admission webhook ... denied the request: " itself; the causes
    // carry the policy's own sentence without the "pods "x" is forbidden: " preamble.
    const message = v.error.details?.causes?.[0]?.message ?? v.error.message;
    return { code: v.error.code, reason: v.error.reason, message };
  }
  return { code: v.code ?? 403, reason: 'Forbidden', message: v.reason ?? 'denied' };
}

export class PolicyEngine {
  readonly #images: ImageVerification;
  readonly #vap: ValidatingAdmissionPolicyPlugin;
  readonly #map: MutatingAdmissionPolicyPlugin;
  readonly #imagePolicies: number;

  constructor(o: EngineOptions) {
    const deps = { store: o.store, log: o.log, now: o.now, authorizer: new AlwaysDenyAuthorizer(), random: Math.random, newUid: randomUUID };
    this.#images = new ImageVerification(deps, o.imageVerification);
    this.#vap = new ValidatingAdmissionPolicyPlugin(deps, o.policies.registry);
    this.#map = new MutatingAdmissionPolicyPlugin(deps, o.policies.registry);
    this.#imagePolicies = (o.policies.counts.ClusterImagePolicy ?? 0) + (o.policies.counts.ImagePolicy ?? 0);
  }

  async ready(): Promise<void> {
    await Promise.all([this.#vap.source.ready(), this.#map.source.ready()]);
  }

  close(): void {
    this.#images.close();
    this.#vap.close();
    this.#map.close();
  }

  /**
   * An ImageReview: its images as one pod's containers, verified and denied as a pod would be.
   * With no trust policy loaded there is nothing to vouch for any image: denied (fail closed).
   */
  async imageReview(spec: ImageReviewSpec): Promise<ImageReviewStatus> {
    if (this.#imagePolicies === 0) return { allowed: false, reason: 'NO_POLICY: the webhook has no image policy (give ClusterImagePolicy or ImagePolicy files with --policies)' };
    const containers = (spec.containers ?? []).filter((c) => typeof c.image === 'string' && c.image !== '').map((c, i) => ({ name: `c${i}`, image: c.image }));
    const namespace = spec.namespace ?? '';
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, annotations: spec.annotations ?? {} }, spec: { containers } };
    const v = await this.#images.admit({
      operation: 'CREATE',
      object: pod,
      oldObject: undefined,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subresource: '',
      namespace,
      name: '',
      user: { username: '', groups: [] },
      dryRun: false,
    });
    const warned = v.warnings?.length ? { warnings: v.warnings.join('\n') } : undefined;
    const audit = annotations([v.auditAnnotations, warned]);
    return { allowed: v.allowed, ...(v.allowed ? {} : { reason: v.reason ?? 'denied' }), ...(audit ? { auditAnnotations: audit } : {}) };
  }

  /** The image check of a request; a write of a trust policy is checked to compile. Pins `a.object` in place. */
  async #checkImages(a: AdmissionAttributes): Promise<Verdict> {
    if (!this.#images.handles(a)) return { allowed: true };
    if (a.kind.group === POLICY_GROUP) return this.#images.validate(a);
    return this.#images.admit(a);
  }

  /** Validating: the admission policies, then the images (a policy denial spares the registry). */
  async validate(a: AdmissionAttributes): Promise<ReviewAnswer> {
    const verdicts: Verdict[] = [];
    if (this.#vap.handles(a)) verdicts.push(await this.#vap.validate(a));
    // On a copy: a validating webhook changes nothing.
    if (verdicts.every((v) => v.allowed)) verdicts.push(await this.#checkImages({ ...a, object: a.object === undefined ? undefined : structuredClone(a.object) }));
    return this.#answer(verdicts);
  }

  /**
   * Mutating: the MutatingAdmissionPolicies, then every image (as they left it) pinned to the
   * digest that was verified; the changes as one JSONPatch against the object the API server sent.
   */
  async mutate(a: AdmissionAttributes): Promise<ReviewAnswer> {
    const work: AdmissionAttributes = { ...a, object: a.object === undefined ? undefined : structuredClone(a.object) };
    const verdicts: Verdict[] = [];
    if (this.#map.handles(work)) verdicts.push(await this.#map.admit(work));
    if (verdicts.every((v) => v.allowed)) verdicts.push(await this.#checkImages(work));
    const answer = this.#answer(verdicts);
    if (answer.allowed && work.object !== undefined && a.object !== undefined) {
      const patch = jsonPatchDiff(a.object, work.object);
      if (patch.length > 0) answer.patch = patch;
    }
    return answer;
  }

  #answer(verdicts: Verdict[]): ReviewAnswer {
    const denied = verdicts.find((v) => !v.allowed);
    const warnings = verdicts.flatMap((v) => v.warnings ?? []);
    const audit = annotations(verdicts.map((v) => v.auditAnnotations));
    return {
      allowed: denied === undefined,
      ...(denied ? { status: denialStatus(denied) } : {}),
      ...(warnings.length ? { warnings } : {}),
      ...(audit ? { auditAnnotations: audit } : {}),
    };
  }
}
