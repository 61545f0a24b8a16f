/**
 * Cluster-scoped objects kube-apiserver keeps in place at start: the two system PriorityClasses
 * (scheduling's post-start hook) and the mandatory API Priority and Fairness configuration
 * (exempt and catch-all FlowSchemas and PriorityLevelConfigurations) with upstream's suggested
 * ones (system-nodes, leader-election, workload-high/-low, global-default, …). PriorityClasses
 * are created when missing; the APF objects are kept as upstream's ensurer keeps them
 * (flowcontrol/ensure-config.ts).
 */
import { objectKey } from '../api/registry/resource-def.ts';
import { rfc3339 } from '../api/time.ts';
import { SYSTEM_PRIORITY_CLASSES } from '../api/validation/scheduling/priority-class.ts';
import { ensureFlowControlConfig } from './flowcontrol/ensure-config.ts';
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
  // The first round of the APF bootstrap ensurer (the control plane repeats it every minute).
  await ensureFlowControlConfig(ctx);
}
