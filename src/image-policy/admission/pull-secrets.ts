/**
 * The registry credentials a pod's images are fetched with, as the kubelet finds them: the
 * pod's imagePullSecrets and its ServiceAccount's, read through the API server's own storage
 * (as the other admission plugins read their configuration). Secrets of type
 * kubernetes.io/dockerconfigjson (.dockerconfigjson) and kubernetes.io/dockercfg (.dockercfg);
 * a missing or malformed Secret is skipped, as the kubelet skips it (the pull then goes without
 * it, and a registry that wants credentials refuses: IMAGE_NOT_FOUND).
 */
import type { Store } from '../../storage/types.ts';
import { dockerConfigOfSecret, keyringOf, type CredentialKeyring, type DockerConfigJson } from '../registry/credentials.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

/** At most this many Secrets are read per pod: the list is client-written. */
const MAX_SECRETS = 32;

/** The keyring of a pod spec in a namespace; undefined when it names no usable Secret. */
export async function pullKeyring(store: Store, namespace: string, spec: Obj): Promise<CredentialKeyring | undefined> {
  const names: string[] = [];
  const add = (list: unknown) => {
    for (const r of Array.isArray(list) ? list : []) if (typeof r?.name === 'string' && r.name !== '' && !names.includes(r.name)) names.push(r.name);
  };
  add(spec.imagePullSecrets);
  const saName = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '' ? spec.serviceAccountName : 'default';
  const sa = await store.get<Obj>(builtinKey('', 'serviceaccounts', namespace, saName));
  add(sa?.value?.imagePullSecrets);
  const configs: DockerConfigJson[] = [];
  for (const name of names.slice(0, MAX_SECRETS)) {
    const s = await store.get<Obj>(builtinKey('', 'secrets', namespace, name));
    const cfg = dockerConfigOfSecret(s?.value);
    if (cfg) configs.push(cfg);
  }
  return keyringOf(configs);
}
