/** sysctls: only namespaced, pod-isolated sysctls; the safe list grows by policy version (upstream policy/check_sysctls.go). */
import { ALLOWED, forbidden } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike } from '../types.ts';

const V1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const V1_27 = [...V1_0, 'net.ipv4.ip_local_reserved_ports'];
const V1_29 = [
  ...V1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const V1_32 = [...V1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const V1_37 = [...V1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctlsAllowing(names: readonly string[]) {
  const allowed = new Set(names);
  return function sysctls(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
    const list = spec.securityContext?.sysctls;
    if (!list) return ALLOWED;
    const bad: string[] = [];
    for (const s of list) {
      const name = s.name ?? '';
      if (!allowed.has(name)) bad.push(name);
    }
    // Upstream lists them in spec order, duplicates included.
    return bad.length === 0 ? ALLOWED : forbidden('forbidden sysctls', bad.join(', '));
  };
}

export const sysctlChecks: readonly CheckDefinition[] = [
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minVersion: 0, check: sysctlsAllowing(V1_0) },
      { minVersion: 27, check: sysctlsAllowing(V1_27) },
      { minVersion: 29, check: sysctlsAllowing(V1_29) },
      { minVersion: 32, check: sysctlsAllowing(V1_32) },
      { minVersion: 37, check: sysctlsAllowing(V1_37) },
    ],
  },
];
