import { objectKey } from '../api/registry/resource-def.ts';
import type { RestContext } from './rest/context.ts';
import { rfc3339 } from './rest/prepare.ts';

/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrapNamespaces(ctx: RestContext): Promise<void> {
  const def = ctx.registry.get('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    const key = objectKey(def, '', name);
    if (await ctx.store.get(key)) continue;
    try {
      await ctx.store.create(key, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    } catch (err) {
      if ((err as { code?: string }).code !== 'KeyExists') throw err;
    }
  }
}
