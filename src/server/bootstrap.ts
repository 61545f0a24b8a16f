import { objectKey } from '../api/registry/resource-def.ts';
import type { RestContext } from './rest/context.ts';
import { rfc3339 } from '../api/time.ts';
import { KUBERNETES_SERVICE_IP } from './rest/service-ip.ts';
import { bootstrapSystemObjects } from './bootstrap-system-objects.ts';
import { ensureImagePolicyCrds } from '../image-policy/trust-policy/install.ts';
import { ensurePolicyExceptionAndReportCrds } from '../admission/cel/exceptions/crds.ts';

/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function bootstrap(ctx: RestContext, apiPort: number): Promise<void> {
  await bootstrapNamespaces(ctx);
  await bootstrapKubernetesService(ctx, apiPort);
  await bootstrapSystemObjects(ctx);
  // ClusterImagePolicy and ImagePolicy, which the ImageVerification admission plugin enforces.
  await ensureImagePolicyCrds(ctx);
  // PolicyException (the ValidatingAdmissionPolicy plugin reads it) and the wgpolicyk8s.io reports.
  await ensurePolicyExceptionAndReportCrds(ctx);
}

/**
 * default/kubernetes: the Service through which pods reach the API server (upstream's "kubernetes"
 * Service). Created when missing; the endpoint reconciler calls it again on every round, so a
 * deleted one comes back as upstream's kubernetes service controller brings it back.
 */
export async function bootstrapKubernetesService(ctx: RestContext, apiPort: number): Promise<void> {
  const def = ctx.registry.get('', 'v1', 'services')!;
  const key = objectKey(def, 'default', 'kubernetes');
  if (await ctx.store.get(key)) return;
  try {
    await ctx.store.create(key, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: KUBERNETES_SERVICE_IP,
        clusterIPs: [KUBERNETES_SERVICE_IP],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        internalTrafficPolicy: 'Cluster',
        sessionAffinity: 'None',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: apiPort }],
      },
      status: { loadBalancer: {} },
    });
  } catch (err) {
    if ((err as { code?: string }).code !== 'KeyExists') throw err;
  }
}

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
