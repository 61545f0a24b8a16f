/**
 * Getting a container's image as the kubelet's image manager does: imagePullPolicy (Always,
 * IfNotPresent, Never; defaulted from the tag as the API does when absent), credentials from the
 * pod's imagePullSecrets (kubernetes.io/dockerconfigjson or dockercfg, read through the API as the
 * node: the Node authorizer lets it read only its pods' secrets) matched on the registry host, and
 * upstream's waiting reasons: ErrImageNeverPull, ErrImagePull, then ImagePullBackOff while the
 * pull backoff runs.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../client/resources.ts';
import type { ApiClient, K8sObject } from '../client/types.ts';
import { parseDockerRef } from '../../image-policy/reference.ts';
import { dockerConfigOfSecret, keyringOf, type BasicCredential, type DockerConfigJson } from '../../image-policy/registry/credentials.ts';
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

/**
 * The credential for `ref` from the pod's imagePullSecrets (read through the API as the node), looked
 * up as the kubelet's keyring does (the registry client's CredentialKeyring: most specific key first).
 * A missing, unreadable or malformed Secret is skipped, as upstream (the pull may still work).
 */
export async function pullCredentials(client: ApiClient, pod: Pod, ref: string): Promise<BasicCredential | undefined> {
  const configs: DockerConfigJson[] = [];
  for (const s of (pod.spec?.imagePullSecrets ?? []).slice(0, MAX_PULL_SECRETS)) {
    if (!s.name) continue;
    const secret = await client.get<K8sObject>(resources.secrets, pod.metadata?.namespace ?? '', s.name).catch(() => undefined);
    const cfg = dockerConfigOfSecret(secret);
    if (cfg) configs.push(cfg);
  }
  let r;
  try {
    r = parseDockerRef(ref);
  } catch {
    return undefined;
  }
  return keyringOf(configs)?.lookup({ domain: r.domain, path: r.path })[0];
}

export type ImageEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/** The image for `c`, pulled if the policy says so; an ImageWaiting error says why not. Events as the kubelet's image manager. */
export async function ensureImage(images: ImageService, client: ApiClient, backoff: CrashBackoff, now: () => number, pod: Pod, c: Container, event: ImageEvent = () => {}): Promise<ImageInfo> {
  const ref = c.image ?? '';
  const policy = pullPolicy(c);
  const present = policy === 'Always' ? undefined : await images.imageStatus(ref);
  if (present) {
    event('Normal', 'Pulled', `Container image "${ref}" already present on machine`);
    return present;
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
  event('Normal', 'Pulling', `Pulling image "${ref}"`);
  try {
    return await images.pullImage(ref, await pullCredentials(client, pod, ref));
  } catch (err) {
    backoff.next(key, now());
    event('Warning', 'Failed', `Failed to pull image "${ref}": ${(err as Error).message}`);
    event('Warning', 'Failed', 'Error: ErrImagePull');
    throw new ImageWaiting({ reason: 'ErrImagePull', message: (err as Error).message });
  }
}
