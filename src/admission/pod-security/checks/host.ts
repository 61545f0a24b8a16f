/**
 * Baseline checks on host access: hostNamespaces, hostPathVolumes, hostPorts,
 * hostProbesAndHostLifecycle (upstream policy/check_host*.go).
 */
import { ALLOWED, forbidden, joinQuote, pluralize, sortedUnique } from '../format.ts';
import type { CheckDefinition, CheckResult, HostHandlerLike, PodMetaLike, PodSpecLike } from '../types.ts';
import { containerName, forEachContainer } from '../visit.ts';

function hostNamespaces(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const set: string[] = [];
  if (spec.hostNetwork === true) set.push('hostNetwork=true');
  if (spec.hostPID === true) set.push('hostPID=true');
  if (spec.hostIPC === true) set.push('hostIPC=true');
  return set.length === 0 ? ALLOWED : forbidden('host namespaces', set.join(', '));
}

function hostPathVolumes(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const names: string[] = [];
  for (const v of spec.volumes ?? []) if (v.hostPath != null) names.push(v.name ?? '');
  if (names.length === 0) return ALLOWED;
  return forbidden('hostPath volumes', `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`);
}

function hostPorts(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const containers: string[] = [];
  const ports: string[] = [];
  forEachContainer(spec, (c) => {
    let bad = false;
    for (const p of c.ports ?? []) {
      if (p.hostPort) {
        bad = true;
        ports.push(String(p.hostPort));
      }
    }
    if (bad) containers.push(containerName(c));
  });
  if (containers.length === 0) return ALLOWED;
  // Upstream keeps the ports in a string set, so they sort as strings ("10" before "9").
  const list = sortedUnique(ports);
  return forbidden('hostPort', [
    pluralize('container', 'containers', containers.length),
    joinQuote(containers),
    pluralize('uses', 'use', containers.length),
    pluralize('hostPort', 'hostPorts', list.length),
    list.join(', '),
  ].join(' '));
}

function handlerHosts(h: HostHandlerLike | null | undefined, into: string[]): boolean {
  if (h == null) return false;
  let found = false;
  const httpHost = h.httpGet?.host;
  if (httpHost) { into.push(httpHost); found = true; }
  const tcpHost = h.tcpSocket?.host;
  if (tcpHost) { into.push(tcpHost); found = true; }
  return found;
}

function hostProbesAndHostLifecycle(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const containers: string[] = [];
  const hosts: string[] = [];
  forEachContainer(spec, (c) => {
    // Evaluate every handler (no short-circuit) so all offending hosts are listed.
    const bad = [
      handlerHosts(c.livenessProbe, hosts),
      handlerHosts(c.readinessProbe, hosts),
      handlerHosts(c.startupProbe, hosts),
      handlerHosts(c.lifecycle?.postStart, hosts),
      handlerHosts(c.lifecycle?.preStop, hosts),
    ].includes(true);
    if (bad) containers.push(containerName(c));
  });
  if (containers.length === 0) return ALLOWED;
  // Both are sets upstream: sorted and de-duplicated.
  const names = sortedUnique(containers);
  const list = sortedUnique(hosts);
  return forbidden('probe or lifecycle host', [
    pluralize('container', 'containers', names.length),
    joinQuote(names),
    pluralize('uses', 'use', names.length),
    pluralize('probe or lifecycle host', 'probe or lifecycle hosts', list.length),
    joinQuote(list),
  ].join(' '));
}

export const HOST_NAMESPACES_ID = 'hostNamespaces';
export const HOST_PATH_VOLUMES_ID = 'hostPathVolumes';

export const hostChecks: readonly CheckDefinition[] = [
  { id: HOST_NAMESPACES_ID, level: 'baseline', versions: [{ minVersion: 0, check: hostNamespaces }] },
  { id: HOST_PATH_VOLUMES_ID, level: 'baseline', versions: [{ minVersion: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minVersion: 0, check: hostPorts }] },
  {
    id: 'hostProbesAndHostLifecycle',
    level: 'baseline',
    versions: [{ minVersion: 34, check: hostProbesAndHostLifecycle }],
  },
];
