/**
 * Priority (plugin/pkg/admission/priority, on by default upstream): a pod's priority comes from its
 * PriorityClass, never from the client. On create, spec.priority (and the class's preemptionPolicy)
 * is set from spec.priorityClassName, or from the globalDefault class (the lowest value when
 * several claim it; none: 0 and no class name); a class that does not exist is refused, and so is
 * a spec.priority or preemptionPolicy the client gave that differs from the class's. On update the
 * stored values are kept when the new object leaves them out (validation forbids changing them).
 *
 * Its other half (upstream's Validate, validatePriorityClass): a PriorityClass created or updated
 * with globalDefault: true is refused while another class is the default ("PriorityClass X is
 * already marked as default. Only one default can exist"). Reserved `system-` names and values
 * above 1e9 are field validation's (src/api/validation/scheduling/priority-class.ts).
 *
 * Without it a tenant could write spec.priority: 2000001000 itself: its pods would then be
 * critical to the node agent (never evicted for disk or memory pressure or a local-storage limit,
 * admitted under pressure) and outrank everyone's in scheduling, and a ResourceQuota scoped to the
 * critical PriorityClasses (upstream's way of limiting them) would not see them.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const CLASSES = builtinPrefix('scheduling.k8s.io', 'priorityclasses');

interface PriorityClass {
  metadata: { name?: string };
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

const deny = (reason: string): Verdict => ({ allowed: false, reason });
const isPods = (a: AdmissionAttributes): boolean => a.resource.group === '' && a.resource.resource === 'pods';
const isClasses = (a: AdmissionAttributes): boolean => a.resource.group === 'scheduling.k8s.io' && a.resource.resource === 'priorityclasses';

export class Priority implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'Priority';
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
  }

  handles(a: AdmissionAttributes): boolean {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return false;
    return (isPods(a) || isClasses(a)) && a.subresource === '' && !!a.object;
  }

  /** validatePriorityClass: one globalDefault class at most. */
  async validate(a: AdmissionAttributes): Promise<Verdict> {
    if (!isClasses(a) || a.object?.globalDefault !== true) return { allowed: true };
    const dpc = await this.#defaultClass();
    if (dpc === undefined) return { allowed: true };
    const name = dpc.metadata.name ?? '';
    if (a.operation === 'CREATE' || name !== a.object.metadata?.name) return deny(`PriorityClass ${name} is already marked as default. Only one default can exist`);
    return { allowed: true };
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    if (!isPods(a)) return { allowed: true };
    const pod = a.object!;
    const spec = (pod.spec ??= {});
    if (a.operation === 'UPDATE') {
      // The values this plugin set on create stay when an update leaves them out.
      const old = a.oldObject?.spec ?? {};
      const patches: unknown[] = [];
      if (spec.priority === undefined && old.priority !== undefined) {
        spec.priority = old.priority;
        patches.push({ op: 'add', path: '/spec/priority', value: old.priority });
      }
      if (spec.preemptionPolicy === undefined && old.preemptionPolicy !== undefined) {
        spec.preemptionPolicy = old.preemptionPolicy;
        patches.push({ op: 'add', path: '/spec/preemptionPolicy', value: old.preemptionPolicy });
      }
      return { allowed: true, ...(patches.length ? { patches } : {}) };
    }
    let className = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    let pc: PriorityClass | undefined;
    if (className === '') {
      pc = await this.#defaultClass();
      className = pc?.metadata.name ?? '';
    } else {
      pc = (await this.#deps.store.get<PriorityClass>(`${CLASSES}${className}`))?.value;
      if (!pc) return deny(`no PriorityClass with name ${className} was found`);
    }
    const priority = pc?.value ?? 0;
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== priority) {
      return deny(`the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    const policy = pc?.preemptionPolicy;
    if (policy !== undefined && spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
      return deny(`the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
    }
    const patches: unknown[] = [];
    if (className !== '' && spec.priorityClassName !== className) {
      spec.priorityClassName = className;
      patches.push({ op: 'add', path: '/spec/priorityClassName', value: className });
    }
    spec.priority = priority;
    patches.push({ op: 'add', path: '/spec/priority', value: priority });
    if (policy !== undefined) {
      spec.preemptionPolicy = policy;
      patches.push({ op: 'add', path: '/spec/preemptionPolicy', value: policy });
    }
    return { allowed: true, patches };
  }

  /** getDefaultPriorityClass: the globalDefault class, the lowest value when a race made several. */
  async #defaultClass(): Promise<PriorityClass | undefined> {
    let best: PriorityClass | undefined;
    for (const { value: pc } of (await this.#deps.store.list<PriorityClass>(CLASSES)).items) {
      if (pc.globalDefault === true && (best === undefined || (pc.value ?? 0) < (best.value ?? 0))) best = pc;
    }
    return best;
  }
}
