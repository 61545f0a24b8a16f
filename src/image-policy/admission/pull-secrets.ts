/**
 * The registry credentials a pod's images are fetched with, as the kubelet finds them: the
 * pod's imagePullSecrets and its ServiceAccount's, read through the API server's own storage
 * (as the other admission plugins read their configuration). Secrets of type
 * kubernetes.io/dockerconfigjson (.dockerconfigjson) and kubernetes.io/dockercfg (.dockercfg);
 * a missing or malformed Secret is skipped, as the kubelet skips it (the pull then goes without
 * it, and a registry that wants credentials refuses: IMAGE_NOT_FOUND).
 */
import type { Store } from '../../storage/types.ts';
import { CredentialKeyring, type DockerConfigJson } from '../registry/credentials.ts';

type Obj = Record<string, any>;

/** At most this many Secrets are read per pod: the list is client-written. */
const MAX_SECRETS = 32;

function dockerConfig(secret: Obj): DockerConfigJson | undefined {
  const data: Obj = secret.data ?? {};
  try {
    if (secret.type === 'kubernetes.io/dockerconfigjson' && typeof data['.dockerconfigjson'] === 'string') {
      return JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8')) as DockerConfigJson;
    }
    if (secret.type === 'kubernetes.io/dockercfg' && typeof data['.dockercfg'] === 'string') {
      return { auths: JSON.parse(Buffer.from(data['.dockercfg'], 'base64').toString('utf8')) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** The keyring of a pod spec in a namespace; undefined when it names no usable Secret. */
export async function pullKeyring(store: Store, namespace: string, spec: Obj): Promise<CredentialKeyring | undefined> {
  const names: string[] = [];
  const add = (list: unknown) => {
    for (const r of Array.isArray(list) ? list : []) if (typeof r?.name === 'string' && r.name !== '' && !names.includes(r.name)) names.push(r.name);
  };
  add(spec.imagePullSecrets);
  const saName = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : 'default';
  const sa = await store.get<Obj>(`/registry/core/serviceaccounts/${namespace}/${saName}`);
  add(sa?.value?.imagePullSecrets);
  const configs: DockerConfigJson[] = [];
  for (const name of names.slice(0, MAX_SECRETS)) {
    const s = await store.get<Obj>(`/registry/core/secrets/${namespace}/${name}`);
    const cfg = s ? dockerConfig(s.value) : undefined;
    if (cfg) configs.push(cfg);
  }
  if (configs.length === 0) return undefined;
  try {
    return new CredentialKeyring(configs);
  } catch {
    // A Secret with a bad "auth" value: the others still count.
    const ok = configs.filter((c) => {
      try {
        new CredentialKeyring([c]);
        return true;
      } catch {
        return false;
      }
    });
    return ok.length > 0 ? new CredentialKeyring(ok) : undefined;
  }
}
