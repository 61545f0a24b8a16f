/**
 * Keeps FlowControl on the stored FlowSchemas and PriorityLevelConfigurations (the shared store
 * reflector: list, then watch, relist after a watch failure) and writes each FlowSchema's
 * Dangling condition as upstream's config controller does (status False/Found when its priority
 * level exists, True/NotFound when not). Several API servers on one store compute the same
 * condition, so they agree.
 */
import type { Logger } from 'pino';
import { objectKey, storagePrefix } from '../../api/registry/resource-def.ts';
import type { ResourceRegistry } from '../../api/registry/registry.ts';
import { rfc3339 } from '../../api/time.ts';
import type { Store } from '../../storage/types.ts';
import { reflect } from '../../storage/reflector.ts';
import { mutate, type Obj } from '../store-mutate.ts';
import type { DanglingCondition } from './config.ts';
import type { FlowControl } from './flow-control.ts';

const GROUP = 'flowcontrol.apiserver.k8s.io';

export interface FollowDeps {
  store: Store;
  registry: ResourceRegistry;
  now: () => Date;
  log: Logger;
}

export function followFlowControlConfig(fc: FlowControl, deps: FollowDeps): () => void {
  const fsDef = deps.registry.get(GROUP, 'v1', 'flowschemas');
  const plDef = deps.registry.get(GROUP, 'v1', 'prioritylevelconfigurations');
  if (!fsDef || !plDef) return () => {};
  const fss = new Map<string, Obj>();
  const pls = new Map<string, Obj>();
  const writing = new Set<string>();
  let stopped = false;
  let scheduled = false;

  const apply = () => {
    scheduled = false;
    if (stopped) return;
    fc.configure(fss.values(), pls.values());
    for (const [name, want] of fc.danglingConditions()) {
      const fs = fss.get(name);
      if (!fs || writing.has(name) || sameCondition(fs, want)) continue;
      writing.add(name);
      void mutate(deps.store, objectKey(fsDef, '', name), (o) => withCondition(o, want, deps.now()))
        .catch((err) => deps.log.error({ err, flowSchema: name }, 'FlowSchema status update failed'))
        .finally(() => writing.delete(name));
    }
  };
  // Events of one write burst become one reconfiguration.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(apply);
  };
  const maps = [fss, pls];
  const r = reflect(
    deps.store,
    [storagePrefix(fsDef), storagePrefix(plDef)],
    {
      replace: (lists) => {
        lists.forEach((l, i) => {
          maps[i]!.clear();
          for (const item of l.items) {
            const o = item.value as Obj;
            if (typeof o?.metadata?.name === 'string') maps[i]!.set(o.metadata.name, o);
          }
        });
        schedule();
      },
      event: (i, e) => {
        const o = e.value as Obj;
        const name = o?.metadata?.name;
        if (typeof name !== 'string') return;
        if (e.type === 'DELETED') maps[i]!.delete(name);
        else maps[i]!.set(name, o);
        schedule();
      },
    },
    { onError: (err) => deps.log.warn({ err }, 'API Priority and Fairness configuration watch failed; relisting') },
  );

  return () => {
    stopped = true;
    r.stop();
  };
}

function sameCondition(fs: Obj, want: DanglingCondition): boolean {
  const have = (fs.status?.conditions ?? []).find((c: Obj) => c?.type === 'Dangling');
  return have?.status === want.status && have?.reason === want.reason && have?.message === want.message;
}

function withCondition(o: Obj, want: DanglingCondition, now: Date): Obj | undefined {
  if (sameCondition(o, want)) return undefined;
  const cond = { type: want.type, status: want.status, lastTransitionTime: rfc3339(now), reason: want.reason, message: want.message };
  const others = (o.status?.conditions ?? []).filter((c: Obj) => c?.type !== 'Dangling');
  return { ...o, status: { ...o.status, conditions: [...others, cond] } };
}
