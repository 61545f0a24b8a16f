/**
 * imagepolicy.k8s.io/v1alpha1 ImageReview: what ImagePolicyWebhook sends for a pod and how the
 * backend's answer is read, as upstream's plugin builds and decodes it. The request carries the
 * images of the containers and init containers (only the ephemeral containers for a write of
 * pods/ephemeralcontainers), the pod's `*.image-policy.k8s.io/*` annotations and the namespace.
 */
export const IMAGE_REVIEW_API_VERSION = 'imagepolicy.k8s.io/v1alpha1';
/** Annotations a backend sees: any key containing this, as upstream's filter. */
export const FORWARDED_ANNOTATION_MARK = '.image-policy.k8s.io/';
/** Most audit annotations kept from one backend answer (the answer's size is capped already). */
const MAX_AUDIT_ANNOTATIONS = 64;

export interface ImageReviewSpec {
  containers?: { image?: string }[];
  annotations?: Record<string, string>;
  namespace?: string;
}

export interface ImageReviewStatus {
  allowed: boolean;
  reason?: string;
  auditAnnotations?: Record<string, string>;
}

export interface ImageReview {
  apiVersion: typeof IMAGE_REVIEW_API_VERSION;
  kind: 'ImageReview';
  metadata: Record<string, unknown>;
  spec: ImageReviewSpec;
  status?: ImageReviewStatus;
}

type Pod = { metadata?: { annotations?: Record<string, unknown> }; spec?: Record<string, unknown> };

function images(list: unknown): { image?: string }[] {
  if (!Array.isArray(list)) return [];
  // Go leaves an empty image out of the JSON (omitempty), so an empty one is {}.
  return list.map((c) => (typeof c?.image === 'string' && c.image !== '' ? { image: c.image } : {}));
}

/** The review's spec, with Go's omitempty: empty lists, maps and strings are left out. */
export function imageReviewSpec(pod: Pod, namespace: string, subresource: string): ImageReviewSpec {
  const spec = pod.spec ?? {};
  const containers = subresource === 'ephemeralcontainers' ? images(spec.ephemeralContainers) : [...images(spec.containers), ...images(spec.initContainers)];
  const annotations: Record<string, string> = {};
  // Sorted, as Go marshals a map: the spec's JSON is also the cache key.
  for (const k of Object.keys(pod.metadata?.annotations ?? {}).sort()) {
    const v = pod.metadata!.annotations![k];
    if (k.includes(FORWARDED_ANNOTATION_MARK) && typeof v === 'string') annotations[k] = v;
  }
  const out: ImageReviewSpec = {};
  if (containers.length > 0) out.containers = containers;
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  if (namespace) out.namespace = namespace;
  return out;
}

/** The body POSTed to the backend (the typed object as client-go encodes it). */
export function imageReviewRequest(spec: ImageReviewSpec): ImageReview {
  return { apiVersion: IMAGE_REVIEW_API_VERSION, kind: 'ImageReview', metadata: { creationTimestamp: null }, spec, status: { allowed: false } };
}

/**
 * The status of a backend's answer. Anything that does not decode as an ImageReview is an error,
 * which the plugin treats as a failed call (denied unless defaultAllow).
 */
export function parseImageReviewStatus(body: string): ImageReviewStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new Error(`couldn't get version/kind; json parse error: the answer is not JSON`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('the answer is not an ImageReview object');
  const o = doc as Record<string, unknown>;
  if (o.kind !== 'ImageReview' || o.apiVersion !== IMAGE_REVIEW_API_VERSION) {
    throw new Error(`expected kind ImageReview of ${IMAGE_REVIEW_API_VERSION}, got ${JSON.stringify(o.kind ?? '')} of ${JSON.stringify(o.apiVersion ?? '')}`);
  }
  const s = (o.status ?? {}) as Record<string, unknown>;
  if (typeof s !== 'object' || Array.isArray(s)) throw new Error('ImageReview status is not an object');
  if (s.allowed !== undefined && typeof s.allowed !== 'boolean') throw new Error('ImageReview status.allowed is not a boolean');
  if (s.reason !== undefined && typeof s.reason !== 'string') throw new Error('ImageReview status.reason is not a string');
  const status: ImageReviewStatus = { allowed: s.allowed === true };
  if (typeof s.reason === 'string' && s.reason !== '') status.reason = s.reason;
  if (s.auditAnnotations !== undefined && s.auditAnnotations !== null) {
    const a = s.auditAnnotations;
    if (typeof a !== 'object' || Array.isArray(a) || Object.values(a).some((v) => typeof v !== 'string')) throw new Error('ImageReview status.auditAnnotations is not a map of strings');
    const entries = Object.entries(a as Record<string, string>).slice(0, MAX_AUDIT_ANNOTATIONS);
    if (entries.length > 0) status.auditAnnotations = Object.fromEntries(entries);
  }
  return status;
}
