/**
 * The kubelet's sysctl allowlist (pkg/kubelet/sysctl allowlist.go patternAllowlist): upstream's
 * safe sysctls plus the node's --allowed-unsafe-sysctls (names, or patterns ending in *). Each entry
 * must be known to be namespaced (component-helpers NamespacedBy: net.*, the IPC ones); anything
 * else is refused when the agent starts, in upstream's words, because a non-namespaced sysctl would
 * be written for the whole host. A pod's sysctl is admitted when an entry names it or is a prefix
 * of it, and not when it belongs to a namespace the pod shares with the host (hostNetwork: net.*,
 * hostIPC: the IPC ones).
 *
 * Names go through ConvertSysctlVariableToDotsSeparator ("net/ipv4/conf/eth0.100/forwarding" is
 * "net.ipv4.conf.eth0/100.forwarding"); sysctlPath turns that back into the /proc/sys path. The
 * name helpers are src/util/sysctl-names.ts, shared with the API server's pod validation. The API
 * refuses a name that is not a sysctl name (IsValidSysctlName) before it is stored; it is refused
 * here too (a pod stored before that check, or one given to the runtime directly): it is what keeps
 * a pattern such as net.* from reaching outside /proc/sys/net.
 */
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { isValidSysctlName, SYSCTL_MAX_LENGTH, SYSCTL_SEGMENT_FMT, sysctlNamespace, toDots, type SysctlNamespace } from '../../../util/sysctl-names.ts';
import { SAFE_SYSCTLS } from './oci-defaults.ts';
import type { SandboxConfig } from './types.ts';

export { sysctlPath, toDots } from '../../../util/sysctl-names.ts';

export class SysctlForbiddenError extends Error {}

type Namespace = SysctlNamespace;

/** policyvalidation.SysctlContainSlashPatternFmt, as the kubelet prints it. */
const PATTERN_FMT = `(${SYSCTL_SEGMENT_FMT}[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]`;
const PATTERN = new RegExp(`^${PATTERN_FMT}$`);

export class SysctlAllowlist {
  readonly #names = new Map<string, Namespace>();
  readonly #prefixes = new Map<string, Namespace>();

  /** NewAllowlist: throws upstream's error for a pattern that is malformed or not known to be namespaced. */
  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      if (raw.length > SYSCTL_MAX_LENGTH || !PATTERN.test(raw)) throw new Error(`sysctl "${raw}" must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${PATTERN_FMT}`);
      const s = toDots(raw);
      if (s.endsWith('*')) {
        const prefix = s.slice(0, -1);
        const ns = sysctlNamespace(s);
        if (!ns) throw new Error(`the sysctls "${s}" are not known to be namespaced`);
        this.#prefixes.set(prefix, ns);
      } else {
        const ns = sysctlNamespace(s);
        if (!ns) throw new Error(`the sysctl "${s}" are not known to be namespaced`);
        this.#names.set(s, ns);
      }
    }
  }

  /** The safe sysctls and these unsafe ones (the kubelet concatenates the two lists). */
  static withUnsafe(allowedUnsafe: readonly string[] = []): SysctlAllowlist {
    return new SysctlAllowlist([...SAFE_SYSCTLS, ...allowedUnsafe]);
  }

  #namespaceOf(name: string): Namespace | undefined {
    const exact = this.#names.get(name);
    if (exact) return exact;
    for (const [p, ns] of this.#prefixes) if (name.startsWith(p)) return ns;
    return undefined;
  }

  /**
   * The pod's sysctls by dotted name when every one is allowed (validateSysctl); otherwise throws
   * SysctlForbiddenError with Admit's message ("forbidden sysctl: …").
   */
  check(spec: PodSpec): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of spec.securityContext?.sysctls ?? []) {
      const name = toDots(s.name);
      const ns = isValidSysctlName(s.name) ? this.#namespaceOf(name) : undefined;
      if (!ns) throw new SysctlForbiddenError(`forbidden sysctl: "${name}" not allowlisted`);
      hostShared(name, ns, spec);
      out[name] = s.value;
    }
    return out;
  }
}

/** "not allowed with host net enabled" / "… host ipc enabled": the namespace is the host's. */
function hostShared(name: string, ns: Namespace, spec: PodSpec): void {
  if ((ns === 'ipc' && spec.hostIPC) || (ns === 'net' && spec.hostNetwork)) throw new SysctlForbiddenError(`forbidden sysctl: "${name}" not allowed with host ${ns} enabled`);
}

/** The default: upstream's safe sysctls only. */
export const SAFE_SYSCTL_ALLOWLIST = SysctlAllowlist.withUnsafe();

/**
 * What a runtime checks of the sysctls the agent passed for a sandbox (runc's validateSysctl): a
 * proper name, in a namespace the pod has of its own. The allowlist is the agent's; this keeps a
 * runtime from writing a host-wide sysctl whatever it is given.
 */
export function checkNamespaced(sysctls: Readonly<Record<string, string>>, spec: PodSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(sysctls)) {
    const ns = isValidSysctlName(name) ? sysctlNamespace(name) : undefined;
    if (!ns) throw new SysctlForbiddenError(`forbidden sysctl: "${name}" is not in a separate kernel namespace`);
    hostShared(name, ns, spec);
    out[name] = value;
  }
  return out;
}

/** The sysctls a runtime sets in a sandbox: those the agent passed (checked as above), else the pod's own against the safe list. */
export function sandboxSysctls(cfg: SandboxConfig): Record<string, string> {
  return cfg.sysctls ? checkNamespaced(cfg.sysctls, cfg.spec) : SAFE_SYSCTL_ALLOWLIST.check(cfg.spec);
}
