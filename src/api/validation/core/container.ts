/**
 * Container validation after pkg/apis/core/validation (validateContainerCommon and friends).
 */
import type { Container, ContainerPort, EnvVar, Probe, ResourceRequirements, VolumeMount } from 'kubernetes-types/core/v1.js';
import { duplicate, forbidden, GoValue, invalid, notFound, notSupported, required, type FieldError, type Path } from '../field-errors.ts';
import { IS_NEGATIVE_ERROR, validateNonnegative } from '../meta.ts';
import { isDNS1123Label, isQualifiedName, isRelaxedEnvVarName, isValidPortName, isValidPortNum } from '../names.ts';
import { cmpQty, formatQty, parseQty, qtySign, QUANTITY_FORMAT_ERROR } from '../../quantity.ts';
import { validateResizePolicy } from './pod-resize.ts';
import { validateContainerSecurityContext } from './security-context.ts';
import { ENV_FIELD_PATHS, validateObjectFieldSelector } from './field-selector-ref.ts';

export const SUPPORTED_PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

export function validateDNS1123Label(value: string, p: Path): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(p, value, m));
}

/** intstr.IntOrString: a port number or an IANA_SVC_NAME. */
export function validatePortNumOrName(port: number | string | undefined, p: Path): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(p, port, m));
  return isValidPortName(port ?? '').map((m) => invalid(p, port ?? '', m));
}

export function validateProtocol(protocol: string | undefined, p: Path): FieldError[] {
  if (!protocol) return [required(p)];
  if (!SUPPORTED_PORT_PROTOCOLS.includes(protocol)) return [notSupported(p, protocol, SUPPORTED_PORT_PROTOCOLS)];
  return [];
}

export function validateContainerPorts(ports: readonly ContainerPort[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const ip = p.index(i);
    if (port.name) {
      const msgs = isValidPortName(port.name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(ip.child('name'), port.name, m));
      else if (names.has(port.name)) errs.push(duplicate(ip.child('name'), port.name));
      else names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(ip.child('containerPort')));
    else for (const m of isValidPortNum(port.containerPort)) errs.push(invalid(ip.child('containerPort'), port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(invalid(ip.child('hostPort'), port.hostPort, m));
    errs.push(...validateProtocol(port.protocol, ip.child('protocol')));
  });
  return errs;
}

function validateEnv(env: readonly EnvVar[] | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  (env ?? []).forEach((ev, i) => {
    const ip = p.index(i);
    if (!ev.name) errs.push(required(ip.child('name')));
    else for (const m of isRelaxedEnvVarName(ev.name)) errs.push(invalid(ip.child('name'), ev.name, m));
    const vf = ev.valueFrom;
    if (vf) {
      if (vf.fieldRef) errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, ip.child('valueFrom', 'fieldRef')));
      const sources = [vf.fieldRef, vf.resourceFieldRef, vf.configMapKeyRef, vf.secretKeyRef].filter((x) => x !== undefined);
      if (sources.length === 0) errs.push(invalid(ip.child('valueFrom'), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(invalid(ip.child('valueFrom'), '', 'may not have more than one field specified at a time'));
      if (ev.value) errs.push(invalid(ip.child('valueFrom'), '', 'may not be specified when `value` is not empty'));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: readonly VolumeMount[] | undefined, volumes: ReadonlySet<string>, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const mountpoints = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const ip = p.index(i);
    if (!m.name) errs.push(required(ip.child('name')));
    if (!volumes.has(m.name)) errs.push(notFound(ip.child('name'), m.name ?? ''));
    if (!m.mountPath) errs.push(required(ip.child('mountPath')));
    if (mountpoints.has(m.mountPath)) errs.push(invalid(ip.child('mountPath'), m.mountPath, 'must be unique'));
    mountpoints.add(m.mountPath);
    if (m.subPath) {
      // Upstream reports subPath problems at volumeMounts.subPath (without the index).
      if (m.subPath.startsWith('/')) errs.push(invalid(p.child('subPath'), m.subPath, 'must be a relative path'));
      if (m.subPath.split(/[\\/]/).includes('..')) errs.push(invalid(p.child('subPath'), m.subPath, "must not contain '..'"));
    }
  });
  return errs;
}

function validateResourceName(name: string, p: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(p, name, m));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !name.startsWith('hugepages-')) {
      errs.push(invalid(p, name, 'must be a standard resource for containers'));
    }
  }
  return errs;
}

/** Native resources may be overcommitted; extended ones (with a domain) must have request == limit. */
function overcommitAllowed(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return native && !name.startsWith('hugepages-');
}

export function validateResourceRequirements(res: ResourceRequirements | undefined, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const limits = (res?.limits ?? {}) as Record<string, unknown>;
  const requests = (res?.requests ?? {}) as Record<string, unknown>;
  const limPath = p.child('limits');
  const reqPath = p.child('requests');
  const parsedLimits = new Map<string, ReturnType<typeof parseQty>>();
  for (const [name, q] of Object.entries(limits)) {
    const fp = limPath.key(name);
    errs.push(...validateResourceName(name, fp));
    const pq = parseQty(q);
    parsedLimits.set(name, pq);
    if (!pq) errs.push(invalid(fp, q, QUANTITY_FORMAT_ERROR));
    else if (qtySign(pq) < 0) errs.push(invalid(fp, formatQty(pq), IS_NEGATIVE_ERROR));
  }
  for (const [name, q] of Object.entries(requests)) {
    const fp = reqPath.key(name);
    errs.push(...validateResourceName(name, fp));
    const pq = parseQty(q);
    if (!pq) {
      errs.push(invalid(fp, q, QUANTITY_FORMAT_ERROR));
      continue;
    }
    if (qtySign(pq) < 0) errs.push(invalid(fp, formatQty(pq), IS_NEGATIVE_ERROR));
    const lim = parsedLimits.get(name);
    if (name in limits) {
      if (!lim) continue;
      const cmp = cmpQty(pq, lim);
      if (cmp !== 0 && !overcommitAllowed(name)) {
        errs.push(invalid(reqPath, formatQty(pq), `must be equal to ${name} limit of ${formatQty(lim)}`));
      } else if (cmp > 0) {
        errs.push(invalid(reqPath, formatQty(pq), `must be less than or equal to ${name} limit of ${formatQty(lim)}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validateHandler(probe: Probe, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const more = (field: string): boolean => {
    if (n > 0) {
      errs.push(forbidden(p.child(field), 'may not specify more than 1 handler type'));
      return false;
    }
    n++;
    return true;
  };
  if (probe.exec && more('exec')) {
    if (!probe.exec.command?.length) errs.push(required(p.child('exec', 'command')));
  }
  if (probe.httpGet && more('httpGet')) {
    const h = probe.httpGet;
    const hp = p.child('httpGet');
    if (!h.path) errs.push(required(hp.child('path')));
    errs.push(...validatePortNumOrName(h.port, hp.child('port')));
    if (h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') errs.push(notSupported(hp.child('scheme'), h.scheme ?? '', ['HTTP', 'HTTPS']));
  }
  if (probe.tcpSocket && more('tcpSocket')) errs.push(...validatePortNumOrName(probe.tcpSocket.port, p.child('tcpSocket', 'port')));
  if (probe.grpc && more('grpc')) {
    for (const m of isValidPortNum(probe.grpc.port)) errs.push(invalid(p.child('grpc', 'port'), probe.grpc.port, m));
  }
  if (n === 0) errs.push(required(p, 'must specify a handler type'));
  return errs;
}

type ProbeKind = 'liveness' | 'readiness' | 'startup';

export function validateProbe(probe: Probe | undefined, kind: ProbeKind, p: Path): FieldError[] {
  if (!probe) return [];
  const errs = validateHandler(probe, p);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    errs.push(...validateNonnegative(probe[f], p.child(f)));
  }
  const tgps = probe.terminationGracePeriodSeconds;
  if (kind === 'readiness') {
    if (tgps !== undefined && tgps !== null) errs.push(invalid(p.child('terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  } else {
    if (tgps !== undefined && tgps !== null && tgps <= 0) errs.push(invalid(p.child('terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
    // Liveness and startup probes act on the first success; a higher threshold would be meaningless.
    if (probe.successThreshold !== undefined && probe.successThreshold !== 1) {
      errs.push(invalid(p.child('successThreshold'), probe.successThreshold, 'must be 1'));
    }
  }
  return errs;
}

/**
 * Checks shared by regular, init and ephemeral containers. hostUsers is the pod's (false: its own
 * user namespace), which decides whether procMount Unmasked is allowed.
 */
export function validateContainerCommon(ctr: Container, volumes: ReadonlySet<string>, p: Path, hostUsers = true, podRestartPolicy?: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!ctr.name) errs.push(required(p.child('name')));
  else errs.push(...validateDNS1123Label(ctr.name, p.child('name')));
  if (!ctr.image) errs.push(required(p.child('image')));
  else if (ctr.image.trim() !== ctr.image) errs.push(invalid(p.child('image'), ctr.image, 'must not have leading or trailing whitespace'));
  const tmp = ctr.terminationMessagePolicy;
  if (!tmp) errs.push(required(p.child('terminationMessagePolicy')));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) errs.push(notSupported(p.child('terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validateContainerPorts(ctr.ports, p.child('ports')));
  errs.push(...validateEnv(ctr.env, p.child('env')));
  errs.push(...validateVolumeMounts(ctr.volumeMounts, volumes, p.child('volumeMounts')));
  const pull = ctr.imagePullPolicy;
  if (!pull) errs.push(required(p.child('imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull)) errs.push(notSupported(p.child('imagePullPolicy'), pull, PULL_POLICIES));
  errs.push(...validateResourceRequirements(ctr.resources, p.child('resources')));
  errs.push(...validateResizePolicy(ctr.resizePolicy, p.child('resizePolicy'), podRestartPolicy));
  errs.push(...validateContainerSecurityContext(ctr.securityContext, hostUsers, p.child('securityContext')));
  return errs;
}

export function validateContainers(containers: readonly Container[] | undefined, volumes: ReadonlySet<string>, p: Path, hostUsers = true, podRestartPolicy?: string): FieldError[] {
  if (!containers || containers.length === 0) return [required(p)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((ctr, i) => {
    const ip = p.index(i);
    errs.push(...validateContainerCommon(ctr, volumes, ip, hostUsers, podRestartPolicy));
    if (names.has(ctr.name)) errs.push(duplicate(ip.child('name'), ctr.name));
    else names.add(ctr.name);
    errs.push(...validateProbe(ctr.livenessProbe, 'liveness', ip.child('livenessProbe')));
    errs.push(...validateProbe(ctr.readinessProbe, 'readiness', ip.child('readinessProbe')));
    errs.push(...validateProbe(ctr.startupProbe, 'startup', ip.child('startupProbe')));
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) {
      errs.push(forbidden(ip.child('restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  errs.push(...hostPortConflicts(containers, p));
  return errs;
}

export function validateInitContainers(
  inits: readonly Container[] | undefined,
  regular: readonly Container[] | undefined,
  volumes: ReadonlySet<string>,
  p: Path,
  hostUsers = true,
  podRestartPolicy?: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set((regular ?? []).map((c) => c.name));
  (inits ?? []).forEach((ctr, i) => {
    const ip = p.index(i);
    errs.push(...validateContainerCommon(ctr, volumes, ip, hostUsers, podRestartPolicy));
    let restartAlways = false;
    if (ctr.restartPolicy !== undefined && ctr.restartPolicy !== null) {
      if (ctr.restartPolicy === 'Always') restartAlways = true;
      else errs.push(notSupported(ip.child('restartPolicy'), ctr.restartPolicy, ['Always']));
    }
    if (names.has(ctr.name)) errs.push(duplicate(ip.child('name'), ctr.name));
    else if (ctr.name) names.add(ctr.name);
    if (restartAlways) {
      errs.push(...validateProbe(ctr.livenessProbe, 'liveness', ip.child('livenessProbe')));
      errs.push(...validateProbe(ctr.readinessProbe, 'readiness', ip.child('readinessProbe')));
      errs.push(...validateProbe(ctr.startupProbe, 'startup', ip.child('startupProbe')));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (ctr[f]) errs.push(forbidden(ip.child(f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  errs.push(...hostPortConflicts(inits ?? [], p));
  return errs;
}

function hostPortConflicts(containers: readonly Container[], p: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((ctr, ci) => {
    (ctr.ports ?? []).forEach((port, pi) => {
      if (!port.hostPort) return;
      const key = `${port.hostIP ?? ''}/${port.protocol ?? ''}/${port.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(p.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

/** IntOrString values print via String(): 25% or 1, unquoted. */
export function goIntOrString(v: number | string | undefined | null): GoValue {
  return new GoValue(v === undefined || v === null ? 'null' : String(v));
}
