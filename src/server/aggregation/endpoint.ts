/**
 * Where an APIService's backing Service is reached: upstream's ResolveEndpoint (apiserver
 * pkg/util/proxy) over the stored Service and its Endpoints, or its EndpointSlices when there is
 * no Endpoints object. Each failure carries the reason and message the availability condition
 * reports, as kube-aggregator's AvailableConditionController words them.
 */
import type { Store } from '../../storage/types.ts';
import { canonicalIP } from '../../util/ip-sloppy.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

type Obj = Record<string, any>;

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
}

export interface Endpoint {
  host: string;
  port: number;
  /** The name the backend's serving certificate must carry: <service>.<namespace>.svc. */
  serverName: string;
}

export class EndpointError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'EndpointError';
    this.reason = reason;
  }
}

const SERVICE_TYPES = ['ClusterIP', 'LoadBalancer', 'NodePort'];

/**
 * An address as a dial target: its canonical form (validation reads "0177.0.0.1" as ParseIPSloppy
 * does, decimal 177.0.0.1, where node's resolver would read octal 127.0.0.1); one that does not
 * parse is left out.
 */
function push(out: Array<{ host: string; port: number }>, address: unknown, port: number): void {
  const host = typeof address === 'string' ? canonicalIP(address) : undefined;
  if (host !== undefined) out.push({ host, port });
}

/** Candidate addresses with the port named like the service port, from Endpoints subsets. */
function fromEndpoints(eps: Obj, portName: string): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const ss of Array.isArray(eps.subsets) ? eps.subsets : []) {
    const port = (Array.isArray(ss?.ports) ? ss.ports : []).find((p: Obj) => (p?.name ?? '') === portName);
    if (!port) continue;
    for (const a of Array.isArray(ss.addresses) ? ss.addresses : []) push(out, a?.ip, port.port);
  }
  return out;
}

/** The same from the service's EndpointSlices (kubernetes.io/service-name), ready endpoints only. */
function fromSlices(slices: Obj[], portName: string): Array<{ host: string; port: number }> {
  const out: Array<{ host: string; port: number }> = [];
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const port = (Array.isArray(s.ports) ? s.ports : []).find((p: Obj) => (p?.name ?? '') === portName);
    if (!port || typeof port.port !== 'number') continue;
    for (const e of Array.isArray(s.endpoints) ? s.endpoints : []) {
      if (e?.conditions?.ready === false) continue;
      for (const a of Array.isArray(e?.addresses) ? e.addresses : []) push(out, a, port.port);
    }
  }
  return out;
}

/** Resolves a service reference to one backend address, chosen with `random` among the ready ones. */
export async function resolveEndpoint(store: Store, ref: ServiceRef, random: () => number): Promise<Endpoint> {
  const where = `service/${ref.name} in ${JSON.stringify(ref.namespace)}`;
  const svc = (await store.get<Obj>(builtinKey('', 'services', ref.namespace, ref.name)))?.value;
  if (!svc) throw new EndpointError('ServiceNotFound', `${where} is not present`);
  const type = svc.spec?.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) throw new EndpointError('ServiceNotFound', `unsupported service type ${JSON.stringify(type)}`);
  const svcPort = (Array.isArray(svc.spec?.ports) ? svc.spec.ports : []).find((p: Obj) => p?.port === ref.port);
  if (!svcPort) throw new EndpointError('ServicePortError', `${where} is not listening on port ${ref.port}`);
  const portName = String(svcPort.name ?? '');
  const eps = (await store.get<Obj>(builtinKey('', 'endpoints', ref.namespace, ref.name)))?.value;
  let candidates: Array<{ host: string; port: number }>;
  if (eps) {
    candidates = fromEndpoints(eps, portName);
  } else {
    const slices = (await store.list<Obj>(builtinKey('discovery.k8s.io', 'endpointslices', ref.namespace, ''))).items
      .map((i) => i.value)
      .filter((s) => s?.metadata?.labels?.['kubernetes.io/service-name'] === ref.name);
    if (slices.length === 0) throw new EndpointError('EndpointsNotFound', `cannot find endpoints for ${where}`);
    candidates = fromSlices(slices, portName);
  }
  if (candidates.length === 0) throw new EndpointError('MissingEndpoints', `endpoints for ${where} have no addresses with port name ${JSON.stringify(portName)}`);
  const pick = candidates[Math.floor(random() * candidates.length) % candidates.length]!;
  return { ...pick, serverName: `${ref.name}.${ref.namespace}.svc` };
}
