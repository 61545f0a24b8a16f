/**
 * VolumeBinding (plugins/volumebinding, volume_binding.go + binder.go): a pod's claims decide where
 * it may go. PreFilter sorts them into bound claims and unbound WaitForFirstConsumer claims (a
 * missing claim, one being deleted, or an unbound claim that binds at once keeps the pod out);
 * Filter checks bound volumes' node affinity and, for unbound claims, that the node has a
 * matching volume or that the class can provision there; Reserve holds the chosen volumes so the
 * next pods do not take them; PreBind writes the volume's claimRef or the claim's selected-node
 * annotation and waits for the binder to finish the binding.
 */
import type { Informer, K8sObject } from '../../client/types.ts';
import { realTimers } from '../../client/timers.ts';
import { PVCS, PVS, STORAGE_CLASSES, volumeBoundTo } from '../../controllers/volume/binder-ops.ts';
import { ANN_SELECTED_NODE, claimClass, findMatchingVolume, isClaimBound, isDelayBinding, NOT_SUPPORTED_PROVISIONER, podClaimNames, storageQty, volumeFitsNode, type PV, type PVC, type StorageClass } from '../../controllers/volume/volume-util.ts';
import { cmpQty } from '../../../api/quantity.ts';
import { asError, SKIP, unresolvable, Status, SUCCESS, type AnyPlugin, type CycleState, type PluginContext } from '../framework.ts';
import { termMatches } from '../labels.ts';
import type { NodeInfo } from '../node-info.ts';
import type { Pod } from '../resources.ts';

export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

const NAME = 'VolumeBinding';
const STATE_KEY = 'PreFilterVolumeBinding';
/** Upstream's bindTimeoutSeconds default. */
const DEFAULT_BIND_TIMEOUT_S = 600;

interface Decision {
  bindings: Array<{ pv: PV; claim: PVC }>;
  provision: PVC[];
}

interface CycleData {
  bound: PVC[];
  toBind: PVC[];
  decisions: Map<string, Decision>;
}

const claimKey = (c: PVC) => `${c.metadata.namespace}/${c.metadata.name}`;

/** MatchTopologySelectorTerms: no terms match everything; a term needs every expression's label value. */
function allowedOn(sc: StorageClass, node: K8sObject): boolean {
  const terms: Array<{ matchLabelExpressions?: Array<{ key: string; values: string[] }> }> = sc.allowedTopologies ?? [];
  if (terms.length === 0) return true;
  return terms.some((t) => termMatches({ matchExpressions: (t.matchLabelExpressions ?? []).map((e) => ({ key: e.key, operator: 'In', values: e.values })) }, node));
}

export function volumeBinding(ctx: PluginContext, args: { bindTimeoutSeconds?: number } = {}): AnyPlugin {
  const timeoutMs = (args.bindTimeoutSeconds ?? DEFAULT_BIND_TIMEOUT_S) * 1000;
  const timers = ctx.timers ?? realTimers;
  const claims: Informer<PVC> | undefined = ctx.informers?.informer<PVC>(PVCS);
  const volumes: Informer<PV> | undefined = ctx.informers?.informer<PV>(PVS);
  const classes: Informer<StorageClass> | undefined = ctx.informers?.informer<StorageClass>(STORAGE_CLASSES);
  /** Volumes promised to a claim by a pod between Reserve and the end of PreBind (the assume cache). */
  const assumed = new Map<string, string>();
  /** PreBind waits, woken on every claim or volume change. */
  const waiters = new Set<{ check(): void; fail(err: Error): void }>();
  const changed = () => {
    for (const w of [...waiters]) w.check();
    ctx.moveAllToActive?.();
  };
  for (const inf of [claims, volumes, classes]) inf?.addEventHandler({ add: changed, update: changed });

  const classOf = (name: string) => classes?.get('', name);
  const data = (state: CycleState) => state.get(STATE_KEY) as CycleData | undefined;

  /** The unbound claims' volumes on this node, smallest requests first (findMatchingVolumes), and what must be provisioned. */
  function decide(toBind: PVC[], node: K8sObject): { decision?: Decision; status?: Status } {
    const decision: Decision = { bindings: [], provision: [] };
    const chosen = new Set<string>();
    const sorted = [...toBind].sort((a, b) => cmpQty(storageQty(a.spec?.resources?.requests) ?? storageQty({ storage: '0' })!, storageQty(b.spec?.resources?.requests) ?? storageQty({ storage: '0' })!));
    for (const claim of sorted) {
      const key = claimKey(claim);
      const skip = (pv: PV) => chosen.has(pv.metadata.name!) || (assumed.has(pv.metadata.name!) && assumed.get(pv.metadata.name!) !== key);
      const pv = findMatchingVolume(claim, volumes!.list(), node, true, skip);
      if (pv) {
        chosen.add(pv.metadata.name!);
        decision.bindings.push({ pv, claim });
        continue;
      }
      // checkVolumeProvisions: a claim already given to another node is not provisioned here.
      const selected = claim.metadata.annotations?.[ANN_SELECTED_NODE];
      if (selected && selected !== node.metadata.name) return { status: unresolvable(ERR_REASON_BIND_CONFLICT) };
      const sc = classOf(claimClass(claim));
      if (!sc) return { status: asError(new Error(`failed to find storage class ${JSON.stringify(claimClass(claim))}`)) };
      if (sc.provisioner === NOT_SUPPORTED_PROVISIONER || !allowedOn(sc, node)) return { status: unresolvable(ERR_REASON_BIND_CONFLICT) };
      decision.provision.push(claim);
    }
    return { decision };
  }

  /** checkBindings: true once every claim is bound to its volume; throws when a binding went away. */
  function bindingsDone(pod: Pod, d: Decision): boolean {
    let done = true;
    for (const { claim } of d.bindings) {
      const cur = claims!.get(claim.metadata.namespace ?? '', claim.metadata.name!);
      if (!cur) throw new Error(`cannot get claim ${JSON.stringify(claim.metadata.name)}`);
      if (!isClaimBound(cur)) done = false;
    }
    for (const claim of d.provision) {
      const cur = claims!.get(claim.metadata.namespace ?? '', claim.metadata.name!);
      if (!cur) throw new Error(`cannot get claim ${JSON.stringify(claim.metadata.name)}`);
      // The provisioner gave up and handed the claim back to the scheduler.
      if (!cur.metadata.annotations?.[ANN_SELECTED_NODE] && !isClaimBound(cur)) throw new Error(`provisioning failed for PVC ${JSON.stringify(cur.metadata.name)}`);
      if (!isClaimBound(cur)) done = false;
    }
    for (const name of podClaimNames(pod)) {
      const cur = claims!.get(pod.metadata.namespace ?? '', name);
      const pv = cur?.spec?.volumeName ? volumes!.get('', cur.spec.volumeName) : undefined;
      if (!cur || !isClaimBound(cur) || pv?.spec?.claimRef?.uid !== cur.metadata.uid) done = false;
    }
    return done;
  }

  function waitBound(pod: Pod, d: Decision): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const w = {
        check() {
          try {
            if (!bindingsDone(pod, d)) return;
          } catch (err) {
            return w.fail(err as Error);
          }
          waiters.delete(w);
          timers.clearTimeout(timer);
          resolve();
        },
        fail(err: Error) {
          waiters.delete(w);
          timers.clearTimeout(timer);
          reject(err);
        },
      };
      waiters.add(w);
      timer = timers.setTimeout(() => w.fail(new Error('binding volumes: timed out waiting for the condition')), timeoutMs);
      w.check();
    });
  }

  const release = (d: Decision | undefined) => {
    for (const { pv } of d?.bindings ?? []) assumed.delete(pv.metadata.name!);
  };

  return {
    name: NAME,
    preFilter(state: CycleState, pod: Pod) {
      const names = podClaimNames(pod);
      if (names.length === 0) return SKIP;
      if (!claims || !volumes || !classes) return asError(new Error('VolumeBinding needs the scheduler to share its informers with plugins'));
      if (!claims.hasSynced() || !volumes.hasSynced() || !classes.hasSynced()) return asError(new Error('the volume informers have not synced yet'));
      const d: CycleData = { bound: [], toBind: [], decisions: new Map() };
      for (const name of names) {
        const claim = claims.get(pod.metadata.namespace ?? '', name);
        if (!claim) return unresolvable(`persistentvolumeclaim "${name}" not found`);
        if (claim.metadata.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
        if (isClaimBound(claim)) d.bound.push(claim);
        else if (isDelayBinding(claim, classOf)) d.toBind.push(claim);
        else return unresolvable(ERR_UNBOUND_IMMEDIATE);
      }
      state.set(STATE_KEY, d);
      return SUCCESS;
    },
    filter(state: CycleState, _pod: Pod, node: NodeInfo) {
      const d = data(state);
      if (!d) return asError(new Error(`reading ${JSON.stringify(STATE_KEY)} from cycle state: not found`));
      for (const claim of d.bound) {
        const pv = volumes!.get('', claim.spec.volumeName);
        if (!pv) return unresolvable(ERR_REASON_PV_NOT_EXIST);
        if (!volumeFitsNode(pv, node.node)) return unresolvable(ERR_REASON_NODE_CONFLICT);
      }
      if (d.toBind.length === 0) return SUCCESS;
      const r = decide(d.toBind, node.node);
      if (r.status) return r.status;
      d.decisions.set(node.name, r.decision!);
      return SUCCESS;
    },
    reserve(state: CycleState, _pod: Pod, nodeName: string) {
      const dec = data(state)?.decisions.get(nodeName);
      for (const { pv, claim } of dec?.bindings ?? []) {
        const holder = assumed.get(pv.metadata.name!);
        // Taken by another pod since this pod's Filter ran: try again with fresh state.
        if (holder && holder !== claimKey(claim)) {
          release(dec);
          return new Status('Unschedulable', [ERR_REASON_BIND_CONFLICT]);
        }
        assumed.set(pv.metadata.name!, claimKey(claim));
      }
      return SUCCESS;
    },
    unreserve(state: CycleState, _pod: Pod, nodeName: string) {
      release(data(state)?.decisions.get(nodeName));
    },
    async preBind(state: CycleState, pod: Pod, nodeName: string) {
      const d = data(state);
      const dec = d?.decisions.get(nodeName);
      if (!d || !dec || (dec.bindings.length === 0 && dec.provision.length === 0)) return SUCCESS;
      try {
        for (const { pv, claim } of dec.bindings) {
          const cur = volumes!.get('', pv.metadata.name!) ?? pv;
          const next = volumeBoundTo(cur, claim);
          if (next) await ctx.client.update(PVS, '', next);
        }
        for (const claim of dec.provision) {
          const cur = claims!.get(claim.metadata.namespace ?? '', claim.metadata.name!) ?? claim;
          if (cur.metadata.annotations?.[ANN_SELECTED_NODE] === nodeName) continue;
          const next = structuredClone(cur);
          next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_SELECTED_NODE]: nodeName };
          await ctx.client.update(PVCS, next.metadata.namespace ?? '', next);
        }
        await waitBound(pod, dec);
        return SUCCESS;
      } catch (err) {
        return asError(err);
      } finally {
        release(dec);
      }
    },
    close() {
      for (const w of [...waiters]) w.fail(new Error('the scheduler is stopping'));
    },
  };
}
