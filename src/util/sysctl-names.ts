/**
 * Sysctl names as Kubernetes reads them, shared by the API server's pod validation and the node
 * agent's allowlist and runtime (one reading, so what the API admits is what the agent judges).
 *
 * - isValidSysctlName: pkg/apis/core/validation IsValidSysctlName (SysctlContainSlashFmt, at most
 *   253 characters).
 * - toDots: component-helpers NormalizeName / the kubelet's ConvertSysctlVariableToDotsSeparator: a
 *   name whose first separator is "/" has its dots and slashes swapped
 *   ("net/ipv4/conf/eth0.100/forwarding" is "net.ipv4.conf.eth0/100.forwarding").
 * - sysctlNamespace: component-helpers GetNamespace (the 1.29+ table): the kernel namespace a sysctl
 *   lives in, undefined when not known to be namespaced.
 */

/** SysctlMaxLength. */
export const SYSCTL_MAX_LENGTH = 253;
/** SysctlSegmentFmt: one dot- or slash-separated part. */
export const SYSCTL_SEGMENT_FMT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
/** SysctlContainSlashFmt. */
export const SYSCTL_CONTAIN_SLASH_FMT = `(${SYSCTL_SEGMENT_FMT}[\\./])*${SYSCTL_SEGMENT_FMT}`;
const NAME = new RegExp(`^${SYSCTL_CONTAIN_SLASH_FMT}$`);

export type SysctlNamespace = 'ipc' | 'net';

export function isValidSysctlName(name: string): boolean {
  return name.length <= SYSCTL_MAX_LENGTH && NAME.test(name);
}

export function toDots(name: string): string {
  const first = name.search(/[./]/);
  if (first === -1 || name[first] === '.') return name;
  return sysctlPath(name);
}

/** The path below /proc/sys of a dotted name: dots and slashes swapped (toDots' swap, back). */
export function sysctlPath(dotted: string): string {
  return dotted.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/** nameToNamespace: exact names (kernel.shm and kernel.msg kept for the older prefix patterns). */
const BY_NAME: ReadonlyMap<string, SysctlNamespace> = new Map([
  'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.shm',
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.msg',
].map((n) => [n, 'ipc' as const]));
/** prefixToNamespace: a name below one of these (prefix + "."). */
const BY_PREFIX: ReadonlyArray<readonly [string, SysctlNamespace]> = [['net.', 'net'], ['fs.mqueue.', 'ipc']];

/**
 * GetNamespace's namespace: the name is normalized to dots and cut at its first "*" (a pattern's
 * prefix), then looked up.
 */
export function sysctlNamespace(nameOrPattern: string): SysctlNamespace | undefined {
  let s = toDots(nameOrPattern);
  const star = s.indexOf('*');
  if (star !== -1) s = s.slice(0, star);
  const exact = BY_NAME.get(s);
  if (exact) return exact;
  for (const [prefix, ns] of BY_PREFIX) if (s.startsWith(prefix)) return ns;
  return undefined;
}
