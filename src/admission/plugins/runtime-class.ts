/**
 * RuntimeClass (plugin/pkg/admission/runtimeclass, on by default upstream), on pod creation:
 *  - a pod naming a RuntimeClass that does not exist is refused (`pod rejected: RuntimeClass "x"
 *    not found`);
 *  - the class's overhead.podFixed becomes spec.overhead (a different overhead the client gave is
 *    refused), so the scheduler, ResourceQuota and the node agent all count it;
 *  - the class's scheduling.nodeSelector is merged into the pod's (a key with another value is
 *    refused as a conflict) and its scheduling.tolerations merged into the pod's.
 * The validating half checks the result after every mutation: spec.overhead must equal the class's,
 * and a pod with an overhead but no class overhead is refused.
 */
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin, Verdict } from '../types.ts';
import { cmpQty, parseQty } from '../../api/quantity.ts';
import { mergeTolerations, type Toleration } from './tolerations.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const CLASSES = builtinPrefix('node.k8s.io', 'runtimeclasses');

type Obj = Record<string, any>;
interface RuntimeClassObject {
  metadata: { name?: string };
  overhead?: { podFixed?: Record<string, string> };
  scheduling?: { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
}

const deny = (reason: string): Verdict => ({ allowed: false, reason });
const OVERHEAD_MISMATCH = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";

/** apiequality.Semantic.DeepEqual of two ResourceLists: same names, equal quantities; nil equals empty. */
function sameResourceList(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b!, k)) return false;
    const qa = parseQty(a![k]);
    const qb = parseQty(b![k]);
    if (!qa || !qb ? a![k] !== b![k] : cmpQty(qa, qb) !== 0) return false;
  }
  return true;
}

export class RuntimeClass implements MutatingPlugin, ValidatingPlugin {
  readonly name = 'RuntimeClass';
  readonly #deps: PluginDeps;

  constructor(deps: PluginDeps) {
    this.#deps = deps;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.resource.group === '' && a.resource.resource === 'pods' && a.subresource === '';
  }

  /** prepareObjects: the pod's RuntimeClass; undefined when it names none. */
  async #runtimeClass(pod: Obj): Promise<{ rc?: RuntimeClassObject; denied?: Verdict }> {
    const name = pod.spec?.runtimeClassName;
    if (name === undefined || name === null) return {};
    const got = typeof name === 'string' && name !== '' ? await this.#deps.store.get<RuntimeClassObject>(CLASSES + name) : undefined;
    if (!got) return { denied: deny(`pod rejected: RuntimeClass ${JSON.stringify(String(name))} not found`) };
    return { rc: got.value };
  }

  async admit(a: AdmissionAttributes): Promise<Verdict> {
    const pod = a.object;
    if (!pod) return { allowed: false, code: 400, reason: 'Resource was marked with kind Pod but was unable to be converted' };
    const { rc, denied } = await this.#runtimeClass(pod);
    if (denied) return denied;
    if (!rc) return { allowed: true };
    const spec = (pod.spec ??= {});
    const patches: unknown[] = [];
    // setOverhead
    const podFixed = rc.overhead?.podFixed;
    if (rc.overhead) {
      if (spec.overhead !== undefined && spec.overhead !== null && !sameResourceList(podFixed, spec.overhead)) return deny(OVERHEAD_MISMATCH);
      if (podFixed === undefined) {
        delete spec.overhead;
      } else {
        spec.overhead = { ...podFixed };
        patches.push({ op: 'add', path: '/spec/overhead', value: spec.overhead });
      }
    }
    // setScheduling
    const sched = rc.scheduling;
    if (sched) {
      const runtimeSelector = sched.nodeSelector ?? {};
      let selector: Record<string, string> | undefined = spec.nodeSelector ?? undefined;
      if (selector === undefined) {
        selector = sched.nodeSelector ? { ...sched.nodeSelector } : undefined;
      } else {
        selector = { ...selector };
        for (const [key, value] of Object.entries(runtimeSelector)) {
          const podValue = selector[key];
          if (Object.hasOwn(selector, key) && podValue !== value) return deny(`conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${value}; pod.spec.nodeSelector[${key}] = ${podValue}`);
          selector[key] = value;
        }
      }
      const tolerations = mergeTolerations(spec.tolerations ?? [], sched.tolerations ?? []);
      if (selector === undefined) delete spec.nodeSelector;
      else spec.nodeSelector = selector;
      if (tolerations.length === 0) delete spec.tolerations;
      else spec.tolerations = tolerations;
      if (selector !== undefined) patches.push({ op: 'add', path: '/spec/nodeSelector', value: selector });
      if (tolerations.length > 0) patches.push({ op: 'add', path: '/spec/tolerations', value: tolerations });
    }
    return { allowed: true, ...(patches.length ? { patches } : {}) };
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const pod = a.object;
    if (!pod) return { allowed: false, code: 400, reason: 'Resource was marked with kind Pod but was unable to be converted' };
    const { rc, denied } = await this.#runtimeClass(pod);
    if (denied) return denied;
    const overhead = pod.spec?.overhead ?? undefined;
    if (rc?.overhead) {
      if (!sameResourceList(rc.overhead.podFixed, overhead)) return deny(OVERHEAD_MISMATCH);
    } else if (overhead !== undefined) {
      return deny('pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
    }
    return { allowed: true };
  }
}
