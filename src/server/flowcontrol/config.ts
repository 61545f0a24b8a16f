/**
 * From the stored FlowSchemas and PriorityLevelConfigurations to what the filter uses (upstream's
 * apf_controller digestConfigObjects): each level's seats, NominalCL(i) = ceil(ServerCL × NCS(i) /
 * ΣNCS); the FlowSchemas whose level exists, ordered by matchingPrecedence then name; and the
 * Dangling condition each FlowSchema should carry. A missing mandatory object (exempt, catch-all)
 * is used as bootstrap defines it, so every request is always classified.
 */
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/mandatory.ts';
import type { LevelConfig } from './priority-level.ts';

type Obj = Record<string, any>;

export interface SchemaConfig {
  name: string;
  uid: string;
  spec: Obj;
  level: string;
  distinguisher: 'ByUser' | 'ByNamespace' | undefined;
}

export interface DanglingCondition {
  type: 'Dangling';
  status: 'True' | 'False';
  reason: 'NotFound' | 'Found';
  message: string;
}

export interface Digest {
  levels: LevelConfig[];
  schemas: SchemaConfig[];
  /** Per stored FlowSchema name: the Dangling condition its status should hold. */
  dangling: Map<string, DanglingCondition>;
}

/** v1 defaulting of limited.nominalConcurrencyShares when absent. */
const DEFAULT_NCS = 30;

function percent(v: unknown, def: number | undefined): number | undefined {
  return v === undefined || v === null ? def : Number(v);
}

function shares(spec: Obj): number {
  if (spec?.type === 'Exempt') return Number(spec.exempt?.nominalConcurrencyShares ?? 0);
  return Number(spec?.limited?.nominalConcurrencyShares ?? DEFAULT_NCS);
}

export function danglingCondition(level: string, found: boolean): DanglingCondition {
  return found
    ? { type: 'Dangling', status: 'False', reason: 'Found', message: `This FlowSchema references the PriorityLevelConfiguration object named "${level}" and it exists` }
    : { type: 'Dangling', status: 'True', reason: 'NotFound', message: `This FlowSchema references the PriorityLevelConfiguration object named "${level}" but there is no such object` };
}

export function digest(flowSchemas: Iterable<Obj>, priorityLevels: Iterable<Obj>, serverConcurrencyLimit: number): Digest {
  const pls = new Map<string, Obj>();
  for (const pl of priorityLevels) if (typeof pl?.metadata?.name === 'string') pls.set(pl.metadata.name, pl);
  for (const m of MANDATORY_PRIORITY_LEVELS) if (!pls.has(m.metadata.name)) pls.set(m.metadata.name, { metadata: { name: m.metadata.name, uid: '' }, spec: m.spec });
  let sum = 0;
  for (const pl of pls.values()) sum += Math.max(0, shares(pl.spec));
  const levels: LevelConfig[] = [];
  for (const [name, pl] of pls) {
    const exempt = pl.spec?.type === 'Exempt';
    const nominal = sum > 0 ? Math.ceil((serverConcurrencyLimit * Math.max(0, shares(pl.spec))) / sum) : 0;
    const own = exempt ? pl.spec?.exempt : pl.spec?.limited;
    const lendable = Math.round((nominal * (percent(own?.lendablePercent, 0) ?? 0)) / 100);
    const borrowingPercent = exempt ? undefined : percent(own?.borrowingLimitPercent, undefined);
    const borrowing = borrowingPercent === undefined ? Infinity : Math.round((nominal * borrowingPercent) / 100);
    const lr = pl.spec?.limited?.limitResponse;
    const q = lr?.type === 'Queue' ? lr.queuing ?? {} : undefined;
    const queuing = q ? { queues: Number(q.queues ?? 64), handSize: Number(q.handSize ?? 8), queueLengthLimit: Number(q.queueLengthLimit ?? 50) } : undefined;
    levels.push({ name, uid: String(pl.metadata?.uid ?? ''), exempt, nominal, lendable, borrowing, ...(queuing ? { queuing } : {}) });
  }

  const fss = new Map<string, Obj>();
  for (const fs of flowSchemas) if (typeof fs?.metadata?.name === 'string') fss.set(fs.metadata.name, fs);
  const dangling = new Map<string, DanglingCondition>();
  const schemas: SchemaConfig[] = [];
  for (const [name, fs] of fss) {
    const level = String(fs.spec?.priorityLevelConfiguration?.name ?? '');
    // Upstream marks a FlowSchema dangling against the stored levels plus the imagined mandatory ones.
    const found = pls.has(level);
    dangling.set(name, danglingCondition(level, found));
    if (!found) continue;
    schemas.push(schemaConfig(fs, level));
  }
  // As upstream's digestFlowSchemasLocked: a mandatory FlowSchema is imagined unless one by its
  // name was accepted; a stored one whose level is missing (dangling) does not count, or a request
  // that nothing else matches would find no catch-all.
  for (const m of MANDATORY_FLOW_SCHEMAS) {
    if (!schemas.some((s) => s.name === m.metadata.name)) schemas.push(schemaConfig({ metadata: { name: m.metadata.name, uid: '' }, spec: m.spec }, String((m.spec.priorityLevelConfiguration as Obj).name)));
  }
  schemas.sort((a, b) => Number(a.spec.matchingPrecedence ?? 1000) - Number(b.spec.matchingPrecedence ?? 1000) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { levels, schemas, dangling };
}

function schemaConfig(fs: Obj, level: string): SchemaConfig {
  const t = fs.spec?.distinguisherMethod?.type;
  return { name: fs.metadata.name, uid: String(fs.metadata.uid ?? ''), spec: fs.spec ?? {}, level, distinguisher: t === 'ByUser' || t === 'ByNamespace' ? t : undefined };
}
