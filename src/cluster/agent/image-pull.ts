/**
 * Getting a container's image as the kubelet's image manager does: imagePullPolicy (Always,
 * IfNotPresent, Never; defaulted from the tag as the API does when absent), credentials from the
 * pod's imagePullSecrets (kubernetes.io/dockerconfigjson or dockercfg, read through the API as the
 * node: the Node authorizer lets it read only its pods' secrets) matched on the registry host, and
 * upstream's waiting reasons: ErrImageNeverPull, ErrImagePull, then ImagePullBackOff while the
 * pull backoff runs.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { parseDockerRef } from '../../image-policy/reference.ts';
import { CredentialKeyring, dockerConfigOfSecret, keyringOf, type BasicCredential, type DockerConfigJson } from '../../image-policy/registry/credentials.ts';
import type { CrashBackoff } from './crash-backoff.ts';
import type { Waiting } from './pod-status.ts';
import type { ImageInfo, ImageService } from './runtime/types.ts';

export class ImageWaiting extends Error {
  readonly waiting: Waiting;
  constructor(w: Waiting) {
    super(w.message ?? w.reason);
    this.waiting = w;
  }
}

export function pullPolicy(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy === 'Always' || c.imagePullPolicy === 'IfNotPresent' || c.imagePullPolicy === 'Never') return c.imagePullPolicy;
  const ref = c.image ?? '';
  const tagged = !ref.includes('@') && /:[^/]+$/.exec(ref)?.[0];
  return !ref.includes('@') && (!tagged || tagged === ':latest') ? 'Always' : 'IfNotPresent';
}

/** At most this many pull Secrets are read per image: the list is client-written. */
const MAX_PULL_SECRETS = 32;

/** A credential for the image and the pull Secret it came from (the kubelet's TrackedAuthConfig). */
export interface PodCredential {
  cred: BasicCredential;
  secret: { uid: string; namespace: string; name: string };
  /** sha256 of the credential as the kubelet hashes its AuthConfig (JSON of username and password). */
  credentialHash: string;
}

export function credentialHash(c: BasicCredential): string {
  return createHash('sha256').update(JSON.stringify({ ...(c.username ? { username: c.username } : {}), ...(c.password ? { password: c.password } : {}) })).digest('hex');
}

/**
 * Every credential for `ref` from the pod's imagePullSecrets (read through the API as the node),
 * in the order the kubelet's keyring gives them (the registry client's CredentialKeyring: most
 * specific key first), each with its Secret. A missing, unreadable or malformed Secret is skipped,
 * as upstream (the pull may still work).
 */
export async function podPullCredentials(client: ApiClient, pod: Pod, ref: string): Promise<PodCredential[]> {
  const configs: DockerConfigJson[] = [];
  const sources: PodCredential['secret'][] = [];
  const namespace = pod.metadata?.namespace ?? '';
  for (const s of (pod.spec?.imagePullSecrets ?? []).slice(0, MAX_PULL_SECRETS)) {
    if (!s.name) continue;
    const secret = await client.get<K8sObject>(resources.secrets, namespace, s.name).catch(() => undefined);
    const cfg = dockerConfigOfSecret(secret);
    if (!cfg || !keyringOf([cfg])) continue;
    configs.push(cfg);
    sources.push({ uid: secret?.metadata?.uid ?? '', namespace: secret?.metadata?.namespace ?? namespace, name: secret?.metadata?.name ?? s.name });
  }
  let r;
  try {
    r = parseDockerRef(ref);
  } catch {
    return [];
  }
  return new CredentialKeyring(configs).lookupSources({ domain: r.domain, path: r.path }).map(({ cred, source }) => ({ cred, secret: sources[source]!, credentialHash: credentialHash(cred) }));
}

/** The first credential for `ref` from the pod's imagePullSecrets (podPullCredentials). */
export async function pullCredentials(client: ApiClient, pod: Pod, ref: string): Promise<BasicCredential | undefined> {
  return (await podPullCredentials(client, pod, ref))[0]?.cred;
}

/**
 * Pulls with each credential in turn until one works, as the kubelet's PullImage; none: anonymously.
 * When all fail, their errors together (Go's utilerrors aggregate: `[a, b]`, one alone as it is).
 */
async function pullWithEach(images: ImageService, ref: string, creds: readonly PodCredential[]): Promise<{ info: ImageInfo; used?: PodCredential }> {
  if (creds.length === 0) return { info: await images.pullImage(ref) };
  const errs: Error[] = [];
  for (const c of creds) {
    try {
      return { info: await images.pullImage(ref, c.cred), used: c };
    } catch (err) {
      errs.push(err as Error);
    }
  }
  throw errs.length === 1 ? errs[0]! : new Error(`[${errs.map((e) => e.message).join(', ')}]`);
}

export type ImageEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/**
 * The image for `c`, pulled if the policy says so; an ImageWaiting error says why not. Events as
 * the kubelet's image manager. With the image service's pull records (KEP-2535), an image already
 * on the node is used only when the verification policy waives the check or a credential the pod
 * brings pulled it before; else IfNotPresent pulls it with the pod's credentials and Never fails
 * as if the image were absent (upstream does not reveal that it is present).
 */
export async function ensureImage(images: ImageService, client: ApiClient, backoff: CrashBackoff, now: () => number, pod: Pod, c: Container, event: ImageEvent = () => {}): Promise<ImageInfo> {
  const ref = c.image ?? '';
  const policy = pullPolicy(c);
  const present = policy === 'Always' ? undefined : await images.imageStatus(ref);
  const manager = await images.pullManager?.();
  let creds: Promise<PodCredential[]> | undefined;
  const podCreds = () => (creds ??= podPullCredentials(client, pod, ref));
  if (present && !manager) {
    event('Normal', 'Pulled', `Container image "${ref}" already present on machine`);
    return present;
  }
  if (present && manager) {
    const secrets = async () => (await podCreds()).map((p) => ({ ...p.secret, credentialHash: p.credentialHash }));
    if (!(await manager.mustAttemptImagePull(ref, present.digest, secrets))) {
      event('Normal', 'Pulled', `Container image "${ref}" already present on machine and can be accessed by the pod`);
      return present;
    }
  }
  if (policy === 'Never') {
    const message = `Container image "${ref}" is not present with pull policy of Never`;
    event('Warning', 'ErrImageNeverPull', message);
    throw new ImageWaiting({ reason: 'ErrImageNeverPull', message });
  }
  const key = `${pod.metadata?.uid}/${c.name}/image`;
  if (backoff.inBackoffSinceUpdate(key)) {
    event('Normal', 'BackOff', `Back-off pulling image "${ref}"`);
    throw new ImageWaiting({ reason: 'ImagePullBackOff', message: `Back-off pulling image "${ref}"` });
  }
  if (manager) {
    try {
      manager.recordPullIntent(ref);
    } catch (err) {
      throw new ImageWaiting({ reason: 'ErrImagePull', message: `Failed to record image pull intent for container image "${ref}": ${(err as Error).message}` });
    }
  }
  event('Normal', 'Pulling', `Pulling image "${ref}"`);
  try {
    const { info, used } = await pullWithEach(images, ref, await podCreds());
    manager?.recordImagePulled(ref, info.digest, used ? { kubernetesSecrets: [{ ...used.secret, credentialHash: used.credentialHash }] } : { nodePodsAccessible: true });
    return info;
  } catch (err) {
    manager?.recordImagePullFailed(ref);
    backoff.next(key, now());
    event('Warning', 'Failed', `Failed to pull image "${ref}": ${(err as Error).message}`);
    event('Warning', 'Failed', 'Error: ErrImagePull');
    throw new ImageWaiting({ reason: 'ErrImagePull', message: (err as Error).message });
  }
}
