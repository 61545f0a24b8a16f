import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { createCA, type CertKeyPem } from '../src/pki/ca.ts';
import { issueCert } from '../src/pki/certs.ts';
import { etcdFloor } from './etcd-floor.ts';
import type { TlsClientMaterial } from './load.ts';

type Obj = { metadata: Record<string, unknown> } & Record<string, unknown>;

export interface FastifyBaseline {
  port: number;
  tls: TlsClientMaterial;
  close(): Promise<void>;
}

export interface FastifyBaselineOptions {
  /** Serve HTTP/2 as well (ALPN h2, with HTTP/1.1 still accepted: fastify `http2` + `allowHTTP1`). */
  http2?: boolean;
  /** Sign the server's certificate with this CA (and trust its clients), so a bench can mint each client its own. */
  ca?: CertKeyPem;
  /** Creates are one etcd create Txn on these members each (etcd-floor.ts), not a Map insert. */
  etcdServers?: string[];
}

/**
 * Options from the environment, for the bench's server child (server-child.ts starts this with no
 * arguments): BENCH_FASTIFY_HTTP2=1, BENCH_FASTIFY_CA=<JSON {certPem, keyPem}>,
 * BENCH_FASTIFY_ETCD=<JSON [member URL]>.
 */
function optionsFromEnv(): FastifyBaselineOptions {
  const env = process.env;
  return {
    http2: env.BENCH_FASTIFY_HTTP2 === '1',
    ...(env.BENCH_FASTIFY_CA ? { ca: JSON.parse(env.BENCH_FASTIFY_CA) as CertKeyPem } : {}),
    ...(env.BENCH_FASTIFY_ETCD ? { etcdServers: JSON.parse(env.BENCH_FASTIFY_ETCD) as string[] } : {}),
  };
}

/**
 * Bare fastify 5 over mutual TLS serving the shapes Portcullis is measured with: create answers
 * 201 with the object plus uid/resourceVersion, GET answers a stored object from a Map, PUT
 * replaces one (a Lease renewal's shape), list answers every object of the namespace, and
 * `?watch=1` on a list holds a streamed answer open after one event (a kubelet's watch). No
 * pipeline, no validation, no storage.
 */
export async function startFastifyBaseline(opts: FastifyBaselineOptions = optionsFromEnv()): Promise<FastifyBaseline> {
  const now = new Date();
  const ca = opts.ca ?? createCA({ commonName: 'bench-ca', now, validityDays: 1 });
  const server = issueCert(ca, { commonName: 'bench-server', usage: 'server', now, validityDays: 1 });
  const client = issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now, validityDays: 1 });

  const https = { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const };
  // The two shapes have different server types; the routes below use only what both have.
  const app = (opts.http2 ? Fastify({ logger: false, http2: true, https: { ...https, allowHTTP1: true } }) : Fastify({ logger: false, https })) as unknown as FastifyInstance;
  // fastify gives its HTTP/1.1 server a 72 s keep-alive but leaves the HTTP/1.1 side of an HTTP/2
  // server at Node's 5 s, which closes idle kept-alive connections (and races their next request).
  if (opts.http2) (app.server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 72_000;
  const byNamespace = new Map<string, Map<string, Obj>>();
  const watchers = new Set<{ end(): void }>();
  let revision = 0;
  const stamp = (obj: Obj, ns: string, uid: string): Obj => ({
    ...obj,
    metadata: { ...obj.metadata, namespace: ns, uid, resourceVersion: String(++revision), creationTimestamp: new Date().toISOString() },
  });

  const floor = opts.etcdServers ? etcdFloor(opts.etcdServers) : undefined;
  if (floor) app.addHook('onClose', async () => floor.close());
  app.post<{ Params: { ns: string }; Body: Obj }>('/api/v1/namespaces/:ns/configmaps', async (req, reply) => {
    if (floor) {
      const r = await floor.create(req.params.ns, req.body);
      return reply.code(r.status).send(r.body);
    }
    const obj = req.body;
    const name = String(obj.metadata?.name ?? '');
    let objects = byNamespace.get(req.params.ns);
    if (!objects) byNamespace.set(req.params.ns, (objects = new Map()));
    if (objects.has(name)) return reply.code(409).send({ kind: 'Status', code: 409 });
    const stored = stamp(obj, req.params.ns, randomUUID());
    objects.set(name, stored);
    return reply.code(201).send(stored);
  });
  app.put<{ Params: { ns: string; name: string }; Body: Obj }>('/api/v1/namespaces/:ns/configmaps/:name', async (req, reply) => {
    const objects = byNamespace.get(req.params.ns);
    const old = objects?.get(req.params.name);
    if (!objects || !old) return reply.code(404).send({ kind: 'Status', code: 404 });
    const stored = stamp(req.body, req.params.ns, String(old.metadata.uid));
    objects.set(req.params.name, stored);
    return reply.send(stored);
  });
  app.get<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/configmaps/:name', async (req, reply) => {
    const obj = byNamespace.get(req.params.ns)?.get(req.params.name);
    if (!obj) return reply.code(404).send({ kind: 'Status', code: 404 });
    return reply.send(obj);
  });
  app.get<{ Params: { ns: string }; Querystring: { watch?: string } }>('/api/v1/namespaces/:ns/configmaps', async (req, reply) => {
    if (req.query.watch) {
      // A watch: headers and one event now, then the answer stays open until the client leaves.
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: String(revision) } } })}\n`);
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    const items = [...(byNamespace.get(req.params.ns)?.values() ?? [])];
    return reply.send({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items });
  });
  app.addHook('preClose', async () => {
    for (const w of watchers) w.end();
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { port, tls: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem }, close: () => app.close() };
}
