/**
 * The Service environment variables the kubelet gives every container (envvars.FromServices,
 * kubelet_pods.go getServiceEnvVarMap): for each Service of the pod's namespace with a cluster IP
 * (all of them unless enableServiceLinks is false) and always for default/kubernetes,
 * <NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT[_<PORTNAME>] and the Docker-links forms <NAME>_PORT,
 * <NAME>_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR]. They come after the container's own variables
 * and never replace one of them.
 */
import type { Service } from 'kubernetes-types/core/v1.js';

const envName = (s: string): string => s.toUpperCase().replace(/-/g, '_');

function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** The variables of one Service, in the kubelet's order. */
export function serviceEnv(s: Service): Array<{ name: string; value: string }> {
  const name = envName(s.metadata?.name ?? '');
  const ip = s.spec?.clusterIP ?? '';
  const ports = s.spec?.ports ?? [];
  const out: Array<{ name: string; value: string }> = [{ name: `${name}_SERVICE_HOST`, value: ip }];
  if (ports.length === 0) return out;
  out.push({ name: `${name}_SERVICE_PORT`, value: String(ports[0]!.port) });
  for (const p of ports) if (p.name) out.push({ name: `${name}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
  const proto = (p: { protocol?: string }) => (p.protocol ?? 'TCP').toLowerCase();
  // IPv6 addresses are bracketed in the URL forms.
  const host = ip.includes(':') ? `[${ip}]` : ip;
  out.push({ name: `${name}_PORT`, value: `${proto(ports[0]!)}://${host}:${ports[0]!.port}` });
  for (const p of ports) {
    const prefix = `${name}_PORT_${p.port}_${proto(p).toUpperCase()}`;
    out.push({ name: prefix, value: `${proto(p)}://${host}:${p.port}` });
    out.push({ name: `${prefix}_PROTO`, value: proto(p) });
    out.push({ name: `${prefix}_PORT`, value: String(p.port) });
    out.push({ name: `${prefix}_ADDR`, value: ip });
  }
  return out;
}

/** The variables for a pod in `namespace`, from every Service the agent knows. */
export function serviceEnvFor(namespace: string, enableServiceLinks: boolean, services: readonly Service[]): Array<{ name: string; value: string }> {
  const chosen = new Map<string, Service>();
  for (const s of services) {
    if (!hasClusterIP(s)) continue;
    const ns = s.metadata?.namespace ?? '';
    const name = s.metadata?.name ?? '';
    // default/kubernetes always; a Service of the pod's namespace only with service links on (and it wins a name clash).
    if (ns === namespace && enableServiceLinks) chosen.set(name, s);
    else if (ns === 'default' && name === 'kubernetes' && !chosen.has(name)) chosen.set(name, s);
  }
  return [...chosen.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')).flatMap(serviceEnv);
}
