/**
 * Cluster-scoped objects kube-apiserver keeps in place at start: the two system PriorityClasses
 * (scheduling's post-start hook) and the mandatory API Priority and Fairness configuration
 * (exempt and catch-all FlowSchemas and PriorityLevelConfigurations). Created when missing; an
 * object a user already changed is left as it is (the validation of the mandatory objects keeps
 * their specs fixed anyway). Upstream's suggested APF objects (system-nodes, leader-election,
 * workload-high/-low, global-default, …) are created when missing too; once created they are the
 * administrator's to change or delete (a deleted one comes back at the next start).
 */
import { objectKey } from '../api/registry/resource-def.ts';
import { rfc3339 } from '../api/time.ts';
import { SYSTEM_PRIORITY_CLASSES } from '../api/validation/scheduling/priority-class.ts';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../api/validation/flowcontrol/mandatory.ts';
import { SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from '../api/validation/flowcontrol/suggested.ts';
import type { RestContext } from './rest/context.ts';

async function ensure(ctx: RestContext, group: string, version: string, resource: string, obj: Record<string, any>): Promise<void> {
  const def = ctx.registry.get(group, version, resource);
  if (!def) return;
  const key = objectKey(def, '', obj.metadata.name);
  if (await ctx.store.get(key)) return;
  const metadata = { ...obj.metadata, uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), ...(def.generation ? { generation: 1 } : {}) };
  try {
    await ctx.store.create(key, { apiVersion: group ? `${group}/${version}` : version, kind: def.kind, ...obj, metadata });
  } catch (err) {
    if ((err as { code?: string }).code !== 'KeyExists') throw err;
  }
}

export async function bootstrapSystemObjects(ctx: RestContext): Promise<void> {
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    await ensure(ctx, 'scheduling.k8s.io', 'v1', 'priorityclasses', { metadata: { name: pc.name }, value: pc.value, description: pc.description, preemptionPolicy: 'PreemptLowerPriority' });
  }
  const apf = 'flowcontrol.apiserver.k8s.io';
  for (const pl of [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS]) await ensure(ctx, apf, 'v1', 'prioritylevelconfigurations', { ...structuredClone(pl), status: {} });
  for (const fs of [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS]) await ensure(ctx, apf, 'v1', 'flowschemas', { ...structuredClone(fs), status: {} });
}
