/**
 * Upstream's APF bootstrap ensurer (pkg/registry/flowcontrol/ensurer), run at start and then every
 * minute: a missing mandatory or suggested object is created again; a mandatory one always gets
 * its bootstrap spec back (the exempt level keeps the nominalConcurrencyShares and lendablePercent
 * an administrator may set); a suggested one only when its apf.kubernetes.io/autoupdate-spec
 * annotation says "true" (or, without a boolean there, while its generation is 1), the annotation
 * being set to what was decided; and an object carrying the annotation set to "true" that is no
 * longer part of the bootstrap configuration is deleted.
 */
import { objectKey, storagePrefix, type ResourceDef } from '../../api/registry/resource-def.ts';
import { rfc3339 } from '../../api/time.ts';
import { semanticEqual } from '../../api/validation/equality.ts';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/mandatory.ts';
import { SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/suggested.ts';
import type { RestContext } from '../rest/context.ts';
import { mutate, type Obj } from '../store-mutate.ts';

const GROUP = 'flowcontrol.apiserver.k8s.io';
const AUTO_UPDATE = 'apf.kubernetes.io/autoupdate-spec';
/** Upstream reconciles the bootstrap configuration every minute. */
export const ENSURE_PERIOD_MS = 60_000;

type Bootstrap = { metadata: { name: string; annotations: Record<string, string> }; spec: Record<string, unknown> };

function parseBool(v: unknown): boolean | undefined {
  // strconv.ParseBool's spellings.
  if (typeof v !== 'string') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** The spec the mandatory exempt level should have: the bootstrap one with the administrator's two fields. */
function wantedSpec(current: Obj, b: Bootstrap, mandatory: boolean): Record<string, unknown> {
  const spec = structuredClone(b.spec) as Obj;
  if (mandatory && spec.type === 'Exempt' && current.spec?.exempt) {
    spec.exempt = { ...spec.exempt, nominalConcurrencyShares: current.spec.exempt.nominalConcurrencyShares ?? 0, lendablePercent: current.spec.exempt.lendablePercent ?? 0 };
  }
  return spec;
}

/** strategy.ShouldUpdate: the updated object, or undefined when nothing changes. */
export function reconcileObject(current: Obj, b: Bootstrap, mandatory: boolean): Obj | undefined {
  const annotation = current.metadata?.annotations?.[AUTO_UPDATE];
  const autoUpdate = mandatory || (parseBool(annotation) ?? current.metadata?.generation === 1);
  const updateAnnotation = parseBool(annotation) !== autoUpdate;
  const spec = autoUpdate ? wantedSpec(current, b, mandatory) : undefined;
  const specChanged = spec !== undefined && !semanticEqual(spec, current.spec);
  if (!updateAnnotation && !specChanged) return undefined;
  const next: Obj = { ...current, metadata: { ...current.metadata } };
  if (updateAnnotation) next.metadata.annotations = { ...current.metadata.annotations, [AUTO_UPDATE]: String(autoUpdate) };
  if (specChanged) {
    next.spec = spec;
    next.metadata.generation = Number(current.metadata.generation ?? 1) + 1;
  }
  return next;
}

async function ensureKind(ctx: RestContext, def: ResourceDef, mandatory: readonly Bootstrap[], suggested: readonly Bootstrap[]): Promise<void> {
  const all = [...mandatory.map((b) => ({ b, mandatory: true })), ...suggested.map((b) => ({ b, mandatory: false }))];
  for (const { b, mandatory: m } of all) {
    const key = objectKey(def, '', b.metadata.name);
    if (!(await ctx.store.get(key))) {
      const metadata = { ...structuredClone(b.metadata), uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), generation: 1 };
      try {
        await ctx.store.create(key, { apiVersion: `${GROUP}/v1`, kind: def.kind, metadata, spec: structuredClone(b.spec), status: {} });
      } catch (err) {
        if ((err as { code?: string }).code !== 'KeyExists') throw err;
      }
      continue;
    }
    await mutate(ctx.store, key, (o) => reconcileObject(o, b, m));
  }
  const names = new Set(all.map((x) => x.b.metadata.name));
  const list = await ctx.store.list<Obj>(storagePrefix(def));
  for (const item of list.items) {
    const o = item.value;
    if (names.has(o.metadata?.name) || !(AUTO_UPDATE in (o.metadata?.annotations ?? {}))) continue;
    if (parseBool(o.metadata.annotations[AUTO_UPDATE]) === true) await mutate(ctx.store, item.key, () => 'delete');
  }
}

/** One round of the ensurer over both kinds (levels first: the FlowSchemas name them). */
export async function ensureFlowControlConfig(ctx: RestContext): Promise<void> {
  const pl = ctx.registry.get(GROUP, 'v1', 'prioritylevelconfigurations');
  const fs = ctx.registry.get(GROUP, 'v1', 'flowschemas');
  if (pl) await ensureKind(ctx, pl, MANDATORY_PRIORITY_LEVELS, SUGGESTED_PRIORITY_LEVELS);
  if (fs) await ensureKind(ctx, fs, MANDATORY_FLOW_SCHEMAS, SUGGESTED_FLOW_SCHEMAS);
}

/** The ensurer every minute after the start's round; returns its stop. */
export function startFlowControlEnsurer(ctx: RestContext, periodMs = ENSURE_PERIOD_MS): () => void {
  let running = false;
  const t = setInterval(() => {
    if (running) return;
    running = true;
    ensureFlowControlConfig(ctx)
      .catch((err) => ctx.log.error({ err }, 'API Priority and Fairness bootstrap configuration could not be ensured'))
      .finally(() => (running = false));
  }, periodMs);
  t.unref?.();
  return () => clearInterval(t);
}
