/**
 * kube-proxy's service health server (pkg/proxy/healthcheck/service_health.go): for each Service
 * of type LoadBalancer with externalTrafficPolicy Local, an HTTP server on its healthCheckNodePort
 * (all node addresses) that tells a load balancer whether to send traffic to this node: 200 when
 * the node has a ready endpoint of the Service and the proxy's rules are loaded, else 503, with
 * kube-proxy's JSON body. Servers open and close as Services come and go; one whose port cannot
 * be bound is logged and tried again at the next sync, as upstream.
 */
import { createServer, type Server } from 'node:http';
import type { K8sObject } from '../../client/types.ts';

type Json = Record<string, any>;

export interface HealthCheck {
  namespace: string;
  name: string;
  port: number;
  /** Distinct ready ip:port endpoints of the Service on this node (LocalReadyEndpoints). */
  localEndpoints: number;
}

/**
 * The health checks a node serves: Services needing one (apiservice.NeedsHealthCheck; the API
 * server's rule, not imported from there to keep the agent off server code) that have a port.
 */
export function healthChecks(services: readonly K8sObject[], slices: readonly K8sObject[], nodeName: string): HealthCheck[] {
  const local = new Map<string, Set<string>>();
  for (const s of slices) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    // The IPv4 proxier's view, as the service rules.
    if (!svc || (s as Json).addressType !== 'IPv4') continue;
    const key = `${s.metadata.namespace}/${svc}`;
    for (const e of ((s as Json).endpoints as Json[] | undefined) ?? []) {
      if (e.conditions?.ready === false || e.nodeName !== nodeName) continue;
      for (const p of ((s as Json).ports as Json[] | undefined) ?? []) {
        for (const ip of (e.addresses as string[] | undefined) ?? []) local.set(key, (local.get(key) ?? new Set()).add(`${ip}:${p.port}`));
      }
    }
  }
  const out: HealthCheck[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as Json;
    const port = Number(spec.healthCheckNodePort) || 0;
    if (spec.type !== 'LoadBalancer' || spec.externalTrafficPolicy !== 'Local' || port <= 0 || port > 65535) continue;
    const namespace = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    out.push({ namespace, name, port, localEndpoints: local.get(`${namespace}/${name}`)?.size ?? 0 });
  }
  return out;
}

/** kube-proxy's body: its dedented Go template, tab-indented, no trailing newline. */
export function healthBody(c: { namespace: string; name: string; localEndpoints: number }, proxyHealthy: boolean): string {
  return `{\n\t"service": {\n\t\t"namespace": ${JSON.stringify(c.namespace)},\n\t\t"name": ${JSON.stringify(c.name)}\n\t},\n\t"localEndpoints": ${c.localEndpoints},\n\t"serviceProxyHealthy": ${proxyHealthy}\n}`;
}

interface Instance {
  check: HealthCheck;
  server: Server;
}

export class ServiceHealthServer {
  readonly #host: string;
  readonly #proxyHealthy: () => boolean;
  readonly #log?: { error(o: object, m: string): void };
  /** ns/name → its server; bounded by the Services that need one. */
  readonly #open = new Map<string, Instance>();

  /** `host`: where to listen (kube-proxy: every address, 0.0.0.0); `proxyHealthy`: the proxier's own health. */
  constructor(o: { host?: string; proxyHealthy: () => boolean; log?: { error(o: object, m: string): void } }) {
    this.#host = o.host ?? '0.0.0.0';
    this.#proxyHealthy = o.proxyHealthy;
    this.#log = o.log;
  }

  /** SyncServices + SyncEndpoints: the servers match `checks`, each answering with its current count. */
  async sync(checks: readonly HealthCheck[]): Promise<void> {
    const want = new Map(checks.map((c) => [`${c.namespace}/${c.name}`, c]));
    for (const [key, inst] of this.#open) {
      const c = want.get(key);
      if (c && c.port === inst.check.port) continue;
      this.#open.delete(key);
      await close(inst.server);
    }
    for (const [key, c] of want) {
      const inst = this.#open.get(key);
      if (inst) {
        inst.check = c;
        continue;
      }
      const fresh: Instance = { check: c, server: createServer((_req, res) => {
        const healthy = this.#proxyHealthy();
        const cur = fresh.check;
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.statusCode = cur.localEndpoints !== 0 && healthy ? 200 : 503;
        res.end(healthBody(cur, healthy));
      }) };
      try {
        await listen(fresh.server, c.port, this.#host);
        this.#open.set(key, fresh);
      } catch (err) {
        this.#log?.error({ err, service: key, port: c.port }, `failed to start healthcheck "${key}" on port ${c.port}`);
      }
    }
  }

  /** The ports now served (for tests and diagnostics). */
  ports(): number[] {
    return [...this.#open.values()].map((i) => i.check.port).sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(all.map((i) => close(i.server)));
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
