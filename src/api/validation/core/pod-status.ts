/**
 * The status rules of upstream 1.33's ValidatePodStatusUpdate (pkg/apis/core/validation), after its
 * metadata and pod-specific annotation checks (in pod.ts), in upstream's order and with its paths:
 * custom condition types (at metadata.conditions[i].Type, as upstream names them), nominatedNodeName,
 * the immutable qosClass, ValidateContainerStateTransition / ValidateInitContainerStateTransition
 * (ephemeral containers as restartPolicy Never), resourceClaimStatuses, validatePodIPs,
 * validateHostIPs and validateContainerStatusUsers. Upstream does not check that statuses name
 * containers of the spec, nor duplicate names. validateContainerStatusAllocatedResourcesStatus is
 * not here: with ResourceHealthStatus off (1.33 default) the field is dropped before validation
 * (src/server/rest/pod-status-strategy.ts), so upstream never judges it. status.nodeName is not
 * checked either: the spec of a status write is the stored one.
 */
import type { ContainerStatus, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, GoValue, goQuote, internalError, invalid, path, type FieldError, type Path } from '../field-errors.ts';
import { FIELD_IMMUTABLE } from '../meta.ts';
import { inclusiveRangeError, isDNS1123Subdomain, isQualifiedName, isValidIP } from '../names.ts';
import { parseIPSloppy } from '../../../util/ip-sloppy.ts';

type Obj = Record<string, any>;

// Upstream skips PodScheduled, Ready and Initialized; the kubelet's other condition types are valid
// qualified names, so skipping them too changes no answer and saves the regex on every status write.
const SYSTEM_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers', 'DisruptionTarget', 'PodResizePending', 'PodResizeInProgress']);
const NON_TERMINATED = 'may not be transitioned to non-terminated state';
const MAX_ID = 2147483647;
const ID_RANGE = inclusiveRangeError(0, MAX_ID);
const STATUS = path('status');
const CONDITIONS = path('metadata', 'conditions');
const CONTAINER_STATUSES = STATUS.child('containerStatuses');
const INIT_STATUSES = STATUS.child('initContainerStatuses');
const EPHEMERAL_STATUSES = STATUS.child('ephemeralContainerStatuses');
const POD_IPS = STATUS.child('podIPs');
const HOST_IPS = STATUS.child('hostIPs');

/** ValidateContainerStateTransition; restartableInit names init containers that may restart (sidecars). */
function stateTransitions(
  errs: FieldError[],
  next: readonly ContainerStatus[] | undefined,
  prev: readonly ContainerStatus[] | undefined,
  p: Path,
  restartPolicy: string | undefined,
  restartableInit?: (name: string) => boolean,
): void {
  if (restartPolicy === 'Always' || !prev || prev.length === 0 || !next || next.length === 0) return;
  prev.forEach((o, i) => {
    const t = o?.state?.terminated;
    if (!t) return;
    if ((t.exitCode ?? 0) !== 0 && restartPolicy === 'OnFailure') return;
    if (restartableInit?.(o.name)) return;
    for (const n of next) {
      if (n?.name === o.name && !n.state?.terminated) errs.push(forbidden(p.index(i).child('state'), NON_TERMINATED));
    }
  });
}

function sidecarLookup(spec: PodSpec | undefined): (name: string) => boolean {
  // The first init container of that name decides, as upstream's loop breaks on the first match.
  return (name) => spec?.initContainers?.find((c) => c.name === name)?.restartPolicy === 'Always';
}

/** validatePodResourceClaimStatuses. */
function resourceClaimStatuses(errs: FieldError[], statuses: readonly Obj[] | undefined, claims: readonly Obj[] | undefined, p: Path): void {
  if (!statuses || statuses.length === 0) return;
  const seen = new Set<string>();
  statuses.forEach((s, i) => {
    const name = String(s?.name ?? '');
    const ip = p.index(i).child('name');
    if (!(claims ?? []).some((c) => c?.name === name)) errs.push(invalid(ip, name, 'must match the name of an entry in `spec.resourceClaims`'));
    if (seen.has(name)) errs.push(duplicate(ip, name));
    else seen.add(name);
    if (typeof s?.resourceClaimName === 'string') {
      for (const m of isDNS1123Subdomain(s.resourceClaimName)) errs.push(invalid(ip, s.resourceClaimName, m));
    }
  });
}

/** Go's %#v of a []core.PodIP / []core.HostIP, the bad value upstream prints. */
function goIPList(type: string, list: readonly Obj[]): GoValue {
  return new GoValue(`[]core.${type}{${list.map((e) => goIP(type, e).text).join(', ')}}`);
}
function goIP(type: string, e: Obj): GoValue {
  return new GoValue(`core.${type}{IP:${goQuote(String(e?.ip ?? ''))}}`);
}

/** k8s.io/utils/net IsDualStackIPStrings: both families among the addresses, or the first unparsable one. */
function dualStack(ips: readonly string[]): { dual: boolean; bad?: string } {
  let v4 = false;
  let v6 = false;
  for (let i = 0; i < ips.length; i++) {
    const fam = parseIPSloppy(ips[i]!)?.family ?? 0;
    if (fam === 0) return { dual: false, bad: `invalid IP[${i}]: ${ips[i]}` };
    if (fam === 4) v4 = true;
    else v6 = true;
  }
  return { dual: v4 && v6 };
}

const dualStackError = (p: Path, err: string): FieldError => internalError(p, `failed to check for dual stack with error:${err}`);

/** validatePodIPs (podIP/podIPs were reconciled as upstream's conversion does, pod-status-strategy.ts). */
function podIPsErrors(errs: FieldError[], list: readonly Obj[] | undefined): void {
  if (!list || list.length === 0) return;
  const p = POD_IPS;
  list.forEach((e, i) => {
    const ip = String(e?.ip ?? '');
    for (const m of isValidIP(ip)) errs.push(invalid(p.index(i), ip, m));
  });
  if (list.length > 1) {
    const ips = list.map((e) => String(e?.ip ?? ''));
    const ds = dualStack(ips);
    if (ds.bad !== undefined) errs.push(dualStackError(p, ds.bad));
    if (!ds.dual || ips.length > 2) errs.push(invalid(p, goIPList('PodIP', list), 'may specify no more than one IP for each IP family'));
    const seen = new Set<string>();
    ips.forEach((ip, i) => {
      if (seen.has(ip)) errs.push(duplicate(p.index(i), goIP('PodIP', list[i]!)));
      seen.add(ip);
    });
  }
}

/** validateHostIPs. */
function hostIPsErrors(errs: FieldError[], hostIP: string | undefined, list: readonly Obj[] | undefined): void {
  if (!list || list.length === 0) return;
  const p = HOST_IPS;
  const first = String(list[0]?.ip ?? '');
  if ((hostIP ?? '') !== first) errs.push(invalid(p.index(0).child('ip'), first, 'must be equal to `hostIP`'));
  list.forEach((e, i) => {
    const ip = String(e?.ip ?? '');
    for (const m of isValidIP(ip)) errs.push(invalid(p.index(i), ip, m));
  });
  if (list.length > 1) {
    const ips: string[] = [];
    const seen = new Set<string>();
    list.forEach((e, i) => {
      const ip = String(e?.ip ?? '');
      ips.push(ip);
      if (seen.has(ip)) errs.push(duplicate(p.index(i), goIP('HostIP', e)));
      seen.add(ip);
    });
    const ds = dualStack(ips);
    if (ds.bad !== undefined) errs.push(dualStackError(p, ds.bad));
    if (!ds.dual || ips.length > 2) errs.push(invalid(p, goIPList('HostIP', list), 'may specify no more than one IP for each IP family'));
  }
}

const validId = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= MAX_ID;

/** validateContainerStatusUsers (upstream's path leaves out "user": containerStatuses[i].linux). */
function statusUsers(errs: FieldError[], statuses: readonly Obj[] | undefined, p: Path, osName: string): void {
  if (!statuses || statuses.length === 0) return;
  statuses.forEach((s, i) => {
    const user = s?.user;
    if (!user) return;
    const lp = p.index(i).child('linux');
    if (osName === 'windows') {
      if (user.linux) errs.push(forbidden(lp, 'cannot be set for a windows pod'));
      return;
    }
    if (osName !== 'linux' || !user.linux) return;
    const l = user.linux;
    if (!validId(l.uid ?? 0)) errs.push(invalid(lp.child('uid'), l.uid, ID_RANGE));
    if (!validId(l.gid ?? 0)) errs.push(invalid(lp.child('gid'), l.gid, ID_RANGE));
    ((l.supplementalGroups ?? []) as unknown[]).forEach((g, j) => {
      if (!validId(g)) errs.push(invalid(lp.child('supplementalGroups').index(j), g, ID_RANGE));
    });
  });
}

/** ValidatePodStatusUpdate's rules on the written status; `old` is the stored pod (its spec is the write's). */
export function validatePodStatusFields(pod: Pod, old: Pod): FieldError[] {
  const st = (pod.status ?? {}) as Obj;
  const os = (old.status ?? {}) as Obj;
  const spec = old.spec;
  const errs: FieldError[] = [];
  const conditions = st.conditions as Obj[] | undefined;
  if (conditions) {
    for (let i = 0; i < conditions.length; i++) {
      const type = String(conditions[i]?.type ?? '');
      if (SYSTEM_CONDITIONS.has(type)) continue;
      for (const m of isQualifiedName(type)) errs.push(invalid(CONDITIONS.index(i).child('Type'), type, m));
    }
  }
  const nominated = st.nominatedNodeName ?? '';
  if (nominated !== (os.nominatedNodeName ?? '') && nominated.length > 0) {
    for (const m of isDNS1123Subdomain(nominated)) errs.push(invalid(STATUS.child('nominatedNodeName'), nominated, m));
  }
  if ((st.qosClass ?? '') !== (os.qosClass ?? '')) errs.push(invalid(STATUS.child('qosClass'), st.qosClass ?? '', FIELD_IMMUTABLE));

  stateTransitions(errs, st.containerStatuses, os.containerStatuses, CONTAINER_STATUSES, spec?.restartPolicy);
  stateTransitions(errs, st.initContainerStatuses, os.initContainerStatuses, INIT_STATUSES, spec?.restartPolicy, sidecarLookup(spec));
  stateTransitions(errs, st.ephemeralContainerStatuses, os.ephemeralContainerStatuses, EPHEMERAL_STATUSES, 'Never');
  resourceClaimStatuses(errs, st.resourceClaimStatuses, spec?.resourceClaims, STATUS.child('resourceClaimStatuses'));

  podIPsErrors(errs, st.podIPs);
  hostIPsErrors(errs, st.hostIP, st.hostIPs);

  const osName = spec?.os?.name ?? 'linux';
  statusUsers(errs, st.containerStatuses, CONTAINER_STATUSES, osName);
  statusUsers(errs, st.initContainerStatuses, INIT_STATUSES, osName);
  statusUsers(errs, st.ephemeralContainerStatuses, EPHEMERAL_STATUSES, osName);
  return errs;
}
