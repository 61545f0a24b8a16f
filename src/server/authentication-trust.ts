/**
 * kube-system/extension-apiserver-authentication (upstream's ClusterAuthenticationTrustController):
 * the client CA and the request-header settings this server proxies with, published so aggregated
 * API servers (metrics-server, the simulated nodes' metrics) know which front-proxy certificate to
 * believe. API-server machinery, written to the store at start (created, or brought up to date).
 */
import { objectKey } from '../api/registry/resource-def.ts';
import { rfc3339 } from '../api/time.ts';
import type { RestContext } from './rest/context.ts';
import { mutate } from './store-mutate.ts';

export const AUTHENTICATION_TRUST = Object.freeze({ namespace: 'kube-system', name: 'extension-apiserver-authentication' });

export interface AuthenticationTrust {
  clientCaPem: string;
  requestHeaderCaPem: string;
  allowedNames: readonly string[];
}

export function trustData(t: AuthenticationTrust): Record<string, string> {
  return {
    'client-ca-file': t.clientCaPem,
    'requestheader-allowed-names': JSON.stringify(t.allowedNames),
    'requestheader-client-ca-file': t.requestHeaderCaPem,
    'requestheader-extra-headers-prefix': JSON.stringify(['X-Remote-Extra-']),
    'requestheader-group-headers': JSON.stringify(['X-Remote-Group']),
    'requestheader-uid-headers': JSON.stringify(['X-Remote-Uid']),
    'requestheader-username-headers': JSON.stringify(['X-Remote-User']),
  };
}

export async function publishAuthenticationTrust(ctx: RestContext, t: AuthenticationTrust): Promise<void> {
  const def = ctx.registry.get('', 'v1', 'configmaps');
  if (!def) return;
  const { namespace, name } = AUTHENTICATION_TRUST;
  const key = objectKey(def, namespace, name);
  const data = trustData(t);
  if (!(await ctx.store.get(key))) {
    try {
      await ctx.store.create(key, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()) }, data });
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'KeyExists') throw err;
    }
  }
  await mutate(ctx.store, key, (o) => (JSON.stringify(o.data ?? {}) === JSON.stringify(data) ? undefined : { ...o, data }));
}
