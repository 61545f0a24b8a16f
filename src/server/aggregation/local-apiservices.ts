/**
 * The Local APIServices kube-apiserver registers for the group/versions it serves itself
 * (kube-aggregator's autoregister controller with "onstart" management): created when missing at
 * start, named <version>.<group>, with upstream's discovery priorities. Group/versions without a
 * known priority are not registered, as upstream's makeAPIService skips them.
 */
import { rfc3339 } from '../../api/time.ts';
import type { RestContext } from '../rest/context.ts';
import { APISERVICE_PREFIX } from './api-services.ts';

/**
 * Upstream's apiVersionPriorities (pkg/controlplane/apiserver DefaultGenericAPIServicePriorities
 * merged with cmd/kube-apiserver's list): "group/version" -> [groupPriorityMinimum, versionPriority].
 */
export const API_VERSION_PRIORITIES: Readonly<Record<string, readonly [number, number]>> = {
  'v1': [18000, 1],
  'events.k8s.io/v1': [17750, 15],
  'events.k8s.io/v1beta1': [17750, 5],
  'authentication.k8s.io/v1': [17700, 15],
  'authentication.k8s.io/v1beta1': [17700, 9],
  'authentication.k8s.io/v1alpha1': [17700, 1],
  'authorization.k8s.io/v1': [17600, 15],
  'certificates.k8s.io/v1': [17300, 15],
  'certificates.k8s.io/v1alpha1': [17300, 1],
  'rbac.authorization.k8s.io/v1': [17000, 15],
  'apiextensions.k8s.io/v1': [16700, 15],
  'admissionregistration.k8s.io/v1': [16700, 15],
  'admissionregistration.k8s.io/v1beta1': [16700, 12],
  'admissionregistration.k8s.io/v1alpha1': [16700, 9],
  'coordination.k8s.io/v1': [16500, 15],
  'discovery.k8s.io/v1': [16200, 15],
  'discovery.k8s.io/v1beta1': [16200, 12],
  'flowcontrol.apiserver.k8s.io/v1': [16100, 21],
  'flowcontrol.apiserver.k8s.io/v1beta3': [16100, 18],
  'flowcontrol.apiserver.k8s.io/v1beta2': [16100, 15],
  'flowcontrol.apiserver.k8s.io/v1beta1': [16100, 12],
  'flowcontrol.apiserver.k8s.io/v1alpha1': [16100, 9],
  'internal.apiserver.k8s.io/v1alpha1': [16000, 9],
  'storagemigration.k8s.io/v1alpha1': [15800, 9],
  'apps/v1': [17800, 15],
  'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30],
  'autoscaling/v2beta1': [17500, 9],
  'autoscaling/v2beta2': [17500, 1],
  'batch/v1': [17400, 15],
  'batch/v1beta1': [17400, 9],
  'batch/v2alpha1': [17400, 9],
  'networking.k8s.io/v1': [17200, 15],
  'networking.k8s.io/v1beta1': [17200, 9],
  'policy/v1': [17100, 15],
  'policy/v1beta1': [17100, 9],
  'storage.k8s.io/v1': [16800, 15],
  'storage.k8s.io/v1beta1': [16800, 9],
  'storage.k8s.io/v1alpha1': [16800, 1],
  'scheduling.k8s.io/v1': [16600, 15],
  'node.k8s.io/v1': [16300, 15],
  'node.k8s.io/v1alpha1': [16300, 1],
  'node.k8s.io/v1beta1': [16300, 9],
  'resource.k8s.io/v1beta2': [16200, 15],
  'resource.k8s.io/v1beta1': [16200, 9],
  'resource.k8s.io/v1alpha3': [16200, 1],
};

export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';

export async function registerLocalApiServices(ctx: RestContext): Promise<void> {
  for (const gv of ctx.registry.groupVersions()) {
    const prio = API_VERSION_PRIORITIES[gv];
    if (!prio) continue;
    const [group, version] = gv.includes('/') ? [gv.slice(0, gv.indexOf('/')), gv.slice(gv.indexOf('/') + 1)] : ['', gv];
    const name = `${version}.${group}`;
    const key = `${APISERVICE_PREFIX}${name}`;
    if (await ctx.store.get(key)) continue;
    try {
      await ctx.store.create(key, {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name, uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), labels: { [AUTOMANAGED_LABEL]: 'onstart' } },
        spec: { group, version, groupPriorityMinimum: prio[0], versionPriority: prio[1] },
        status: {},
      });
    } catch (err) {
      if ((err as { code?: string }).code !== 'KeyExists') throw err;
    }
  }
}
