/**
 * ImageVerification: the admission plugin that enforces trust policies (ClusterImagePolicy,
 * ImagePolicy). For a Pod, every container image (init, regular, ephemeral) that a policy
 * matches is resolved to a digest with the pod's pull credentials, verified against every
 * matching policy, and rewritten to name@sha256:… of what was verified, so the node runs the
 * bytes that were checked. Workload templates (Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * Job, CronJob) are checked too but only warned about, as policy-controller does: their pods are
 * checked when created.
 *
 * Policy modes: enforce denies (403, the reason code, image and policy in the message), warn
 * admits with a Warning, audit admits with an audit annotation. Registry or Notary failures and
 * the deadline deny (REGISTRY_UNAVAILABLE): fail closed. With no policy at all the plugin admits
 * without a look (it is on by default, and a cluster without policies has not asked for it); once
 * one exists, an image no policy matches gets `noMatch` — NO_POLICY by default, as issue 15 asks —
 * unless its namespace is exempt: listed in `exemptNamespaces` (kube-system by default) or
 * labelled policy.portcullis.dev/no-match (allow | warn | deny, which overrides both).
 *
 * Writes of the policies themselves are checked here too (validating phase): a policy whose keys,
 * globs or Notary settings do not compile is refused with 422, never stored unenforceable.
 */
import type { Logger } from 'pino';
import { invalid as invalidError } from '../../api/errors.ts';
import { toStatusCauses } from '../../api/validation/field-errors.ts';
import type { Store } from '../../storage/types.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../../admission/types.ts';
import { ImagePolicyError, isImagePolicyError } from '../errors.ts';
import { parseNormalizedNamed, referenceName, type ImageReference } from '../reference.ts';
import { RegistryClient } from '../registry/client.ts';
import type { CredentialKeyring } from '../registry/credentials.ts';
import { withDeadline } from '../registry/status.ts';
import { compilePolicy, type PolicyKind } from '../trust-policy/compile.ts';
import { POLICY_GROUP } from '../trust-policy/crds.ts';
import { PolicySource } from '../trust-policy/policy-source.ts';
import { VerdictCache } from '../verdict-cache.ts';
import { checkConfig, NO_MATCH_ACTIONS, NO_MATCH_LABEL, PLUGIN_NAME, type ImageVerificationConfig, type NoMatchAction } from './config.ts';
import { ImageVerifier, type PolicyResult } from './image-verifier.ts';
import { FileFloors } from '../verifiers/notary/floors.ts';
import { imageSlots, isTemplateKind, podSpecOf, podSpecPath, type ImageSlot } from './pod-images.ts';
import { pullKeyring } from './pull-secrets.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

const ANNOTATION = 'image-verification.portcullis.dev';

type Obj = Record<string, any>;

/** One image's outcome: its digest (when resolved) and what each matching policy said. */
interface ImageOutcome {
  slots: ImageSlot[];
  ref?: ImageReference;
  digest?: string;
  results: PolicyResult[];
  /** Set when no policy matched. */
  noMatch?: NoMatchAction;
}

export class ImageVerification implements MutatingPlugin, ValidatingPlugin {
  readonly name = PLUGIN_NAME;
  readonly #store: Store;
  readonly #policies: PolicySource;
  readonly #registry: RegistryClient;
  readonly #verifier: ImageVerifier;
  readonly #deadlineMs: number;
  readonly #noMatch: NoMatchAction;
  readonly #exempt: ReadonlySet<string>;
  readonly #notaryFloors?: FileFloors;

  constructor(deps: { store: Store; log: Logger; now: () => Date }, config: ImageVerificationConfig = {}) {
    const { deadlineMs, noMatch, exemptNamespaces } = checkConfig(config);
    const now = config.now ?? (() => deps.now().getTime());
    this.#store = deps.store;
    this.#deadlineMs = deadlineMs;
    this.#noMatch = noMatch;
    this.#exempt = new Set(exemptNamespaces);
    this.#policies = new PolicySource(deps.store, deps.log);
    this.#registry = new RegistryClient({ ...config.registry, deadlineMs, now });
    const cache = new VerdictCache({ now, allowTtlMs: config.allowTtlMs, denyTtlMs: config.denyTtlMs, maxEntries: config.maxCacheEntries });
    // As many repositories' floors as one Notary verifier keeps in memory by default (16 × 1,024).
    const notaryFloors = config.notaryFloorsFile ? new FileFloors(config.notaryFloorsFile, 16_384, (err) => deps.log.warn({ err, file: config.notaryFloorsFile }, 'notary rollback floors not written (kept in memory; retried at the next change)')) : undefined;
    this.#notaryFloors = notaryFloors;
    this.#verifier = new ImageVerifier({ registry: this.#registry, store: deps.store, cache, now, deadlineMs, ...(notaryFloors && { notaryFloors }) });
  }

  close(): void {
    this.#policies.close();
    this.#verifier.close();
    this.#registry.close();
    this.#notaryFloors?.close();
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    if (a.kind.group === POLICY_GROUP) return a.subresource === '' && (a.kind.kind === 'ClusterImagePolicy' || a.kind.kind === 'ImagePolicy');
    if (a.resource.group === '' && a.resource.resource === 'pods') return a.subresource === '' || a.subresource === 'ephemeralcontainers';
    return a.subresource === '' && isTemplateKind(a.kind.group, a.kind.kind);
  }

  /** Policy writes: refused unless they compile to what admission enforces. */
  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (a.kind.group !== POLICY_GROUP || !a.object) return { allowed: true };
    const { errors } = compilePolicy(a.object, a.kind.kind as PolicyKind);
    if (errors.length === 0) return { allowed: true };
    return { allowed: false, reason: 'the policy does not compile', error: invalidError(a.kind.kind, a.kind.group, a.name, toStatusCauses(errors)) };
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const specPath = a.kind.group === POLICY_GROUP ? undefined : podSpecPath(a.kind.group, a.kind.kind) ?? (a.resource.resource === 'pods' ? ['spec'] : undefined);
    if (!specPath || !a.object) return { allowed: true };
    await this.#policies.ready();
    if (this.#policies.empty) return { allowed: true };
    // An update is checked for the images it changes: a pod's other updates (labels, status of
    // its owner) do not depend on a registry, and unchanged images were checked when written.
    const before = new Map((a.operation === 'UPDATE' ? imageSlots(a.oldObject, specPath) : []).map((s) => [s.path, s.image]));
    const slots = imageSlots(a.object, specPath).filter((s) => before.get(s.path) !== s.image);
    if (slots.length === 0) return { allowed: true };
    const byImage = new Map<string, ImageSlot[]>();
    for (const s of slots) byImage.set(s.image, [...(byImage.get(s.image) ?? []), s]);

    const spec = podSpecOf(a.object, specPath) ?? {};
    let keyring: Promise<CredentialKeyring | undefined> | undefined;
    const credentials = () => (keyring ??= pullKeyring(this.#store, a.namespace, spec));
    const outcomes = await Promise.all([...byImage].map(([image, s]) => this.#checkImage(a.namespace, image, s, credentials)));
    return this.#verdict(a, outcomes, isTemplateKind(a.kind.group, a.kind.kind));
  }

  async #checkImage(namespace: string, image: string, slots: ImageSlot[], credentials: () => Promise<CredentialKeyring | undefined>): Promise<ImageOutcome> {
    let ref: ImageReference;
    try {
      ref = parseNormalizedNamed(image);
    } catch (err) {
      const e = new ImagePolicyError('IMAGE_NOT_FOUND', `not a valid image reference: ${(err as Error).message}`);
      return { slots, results: [{ policy: { label: 'any policy', mode: 'enforce' } as PolicyResult['policy'], allowed: false, code: e.code, message: e.message, cached: false }] };
    }
    const policies = this.#policies.matching(namespace, image, ref);
    if (policies.length === 0) return { slots, ref, results: [], noMatch: await this.#noMatchFor(namespace) };
    try {
      return await withDeadline(this.#deadlineMs, undefined, async (signal) => {
        const digest = await this.#verifier.resolve(ref, credentials, signal);
        const results = await Promise.all(policies.map((p) => this.#verifier.check(p, image, ref, digest, credentials, signal)));
        return { slots, ref, digest, results };
      });
    } catch (err) {
      // Resolution failed (or the deadline passed): every matching policy fails with that reason.
      const e = isImagePolicyError(err) ? err : new ImagePolicyError('REGISTRY_UNAVAILABLE', (err as Error).message);
      return { slots, ref, results: policies.map((policy) => ({ policy, allowed: false, code: e.code, message: e.message, cached: false })) };
    }
  }

  async #noMatchFor(namespace: string): Promise<NoMatchAction> {
    const ns = await this.#store.get<Obj>(builtinKey('', 'namespaces', namespace));
    const label = ns?.value?.metadata?.labels?.[NO_MATCH_LABEL];
    if (NO_MATCH_ACTIONS.includes(label)) return label;
    return this.#exempt.has(namespace) ? 'allow' : this.#noMatch;
  }

  #verdict(a: AdmissionAttributes, outcomes: ImageOutcome[], template: boolean): Verdict {
    const denials: string[] = [];
    const warnings: string[] = [];
    const audits: string[] = [];
    const pinned: string[] = [];
    for (const o of outcomes) {
      const image = o.slots[0]!.image;
      const where = o.slots.map((s) => s.path).join(', ');
      if (o.noMatch !== undefined) {
        const msg = `image "${image}" (${where}): NO_POLICY: no image policy matches it`;
        if (o.noMatch === 'deny') denials.push(msg);
        else if (o.noMatch === 'warn') warnings.push(msg);
        continue;
      }
      let enforcedFailure = false;
      for (const r of o.results) {
        // A Notation policy that logs a validation: admitted, and the failure said.
        for (const n of r.notes ?? []) warnings.push(`image "${image}" (${where}) is allowed by ${r.policy.label} (authority ${r.authority}), which logs: ${n}`);
        if (r.allowed) continue;
        const msg = `image "${image}" (${where}) is not allowed by ${r.policy.label}: ${r.code}: ${r.message}`;
        if (r.policy.mode === 'enforce') {
          enforcedFailure = true;
          denials.push(msg);
        } else if (r.policy.mode === 'warn') warnings.push(msg);
        else audits.push(msg);
      }
      // Pin what was checked, unless the pod is refused anyway or this is a template.
      if (!template && !enforcedFailure && o.ref && o.digest) {
        const value = `${referenceName(o.ref)}@${o.digest}`;
        for (const s of o.slots) {
          if (s.image !== value) {
            s.set(value);
            pinned.push(`${s.path}: ${image} -> ${value}`);
          }
        }
      }
    }
    const auditAnnotations: Record<string, string> = {};
    if (audits.length > 0) auditAnnotations[`${ANNOTATION}/audit-violations`] = audits.join('\n');
    if (pinned.length > 0) auditAnnotations[`${ANNOTATION}/pinned`] = pinned.join('\n');
    if (template) {
      // Templates are never refused: their pods are, when created.
      const w = [...denials.map((d) => `${a.kind.kind} template: ${d} (pods created from it will be denied)`), ...warnings];
      return { allowed: true, ...(w.length ? { warnings: w } : {}), ...(Object.keys(auditAnnotations).length ? { auditAnnotations } : {}) };
    }
    if (denials.length > 0) {
      auditAnnotations[`${ANNOTATION}/denied`] = denials.join('\n');
      return { allowed: false, code: 403, reason: denials.join('; '), warnings, auditAnnotations };
    }
    return { allowed: true, ...(warnings.length ? { warnings } : {}), ...(Object.keys(auditAnnotations).length ? { auditAnnotations } : {}), ...(pinned.length ? { patches: pinned } : {}) };
  }
}
