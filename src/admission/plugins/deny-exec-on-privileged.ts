/**
 * DenyEscalatingExec and DenyExecOnPrivileged (plugin/pkg/admission/exec, removed upstream in
 * 1.18 in favour of PodSecurity): exec and attach into a pod that runs privileged, or shares the
 * host's network, PID or IPC namespace, is refused, since a shell there is a shell on the node.
 */
import type { Store } from '../../storage/types.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { AdmissionAttributes, ValidatingPlugin, Verdict } from '../types.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

interface Checks {
  hostNetwork: boolean;
  hostPID: boolean;
  hostIPC: boolean;
  privileged: boolean;
}

function isPrivileged(pod: Record<string, any>): boolean {
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of pod.spec?.[kind] ?? []) if (c?.securityContext?.privileged === true) return true;
  }
  return false;
}

class DenyExec implements ValidatingPlugin {
  readonly name: string;
  readonly #store: Store;
  readonly #checks: Checks;

  constructor(name: string, store: Store, checks: Checks) {
    this.name = name;
    this.#store = store;
    this.#checks = checks;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CONNECT' && a.resource.group === '' && a.resource.resource === 'pods' && (a.subresource === 'exec' || a.subresource === 'attach');
  }

  async validate(a: AdmissionAttributes): Promise<Verdict> {
    const stored = await this.#store.get<Record<string, any>>(builtinKey('', 'pods', a.namespace, a.name));
    if (!stored) return { allowed: false, reason: `pods "${a.name}" not found` };
    const pod = stored.value;
    const deny = (what: string): Verdict => ({ allowed: false, reason: `cannot exec into or attach to a ${what}` });
    if (this.#checks.hostNetwork && pod.spec?.hostNetwork === true) return deny('container using host network');
    if (this.#checks.hostPID && pod.spec?.hostPID === true) return deny('container using host pid');
    if (this.#checks.hostIPC && pod.spec?.hostIPC === true) return deny('container using host ipc');
    if (this.#checks.privileged && isPrivileged(pod)) return deny('privileged container');
    return { allowed: true };
  }
}

/** Refuses exec/attach into privileged pods and pods sharing host namespaces. */
export class DenyEscalatingExec extends DenyExec {
  constructor(deps: PluginDeps) {
    super('DenyEscalatingExec', deps.store, { hostNetwork: true, hostPID: true, hostIPC: true, privileged: true });
  }
}

/** The older, narrower plugin: only privileged containers. */
export class DenyExecOnPrivileged extends DenyExec {
  constructor(deps: PluginDeps) {
    super('DenyExecOnPrivileged', deps.store, { hostNetwork: false, hostPID: false, hostIPC: false, privileged: true });
  }
}
