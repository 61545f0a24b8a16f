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

/** The registry host of a reference, as docker normalises it (docker.io when there is none). */
export function registryHost(ref: string): string {
  const first = ref.split('/')[0] ?? '';
  return ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

const HOST_ALIASES: Record<string, string[]> = { 'docker.io': ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'] };

/** The first imagePullSecret with credentials for the image's registry. */
export async function pullCredentials(client: ApiClient, pod: Pod, ref: string): Promise<{ username: string; password: string } | undefined> {
  const host = registryHost(ref);
  const names = HOST_ALIASES[host] ?? [host];
  for (const s of pod.spec?.imagePullSecrets ?? []) {
    if (!s.name) continue;
    let secret: K8sObject;
    try {
      secret = await client.get<K8sObject>(resources.secrets, pod.metadata?.namespace ?? '', s.name);
    } catch {
      // A missing or unreadable pull secret is skipped, as upstream (the pull may still work).
      continue;
    }
    const raw = secret.data?.['.dockerconfigjson'] ?? secret.data?.['.dockercfg'];
    if (typeof raw !== 'string') continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as Record<string, unknown>;
    } catch {
      continue;
    }
    const auths = (secret.data?.['.dockerconfigjson'] ? parsed.auths : parsed) as Record<string, { username?: string; password?: string; auth?: string }> | undefined;
    for (const [key, a] of Object.entries(auths ?? {})) {
      const keyHost = key.replace(/^https?:\/\//, '').split('/')[0] ?? '';
      if (!names.includes(key) && !names.includes(keyHost)) continue;
      if (a.username !== undefined && a.password !== undefined) return { username: a.username, password: a.password };
      if (a.auth) {
        const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
      }
    }
  }
  return undefined;
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
