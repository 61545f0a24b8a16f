import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createCA } from '../src/pki/ca.ts';
import { issueCert } from '../src/pki/certs.ts';
import type { TlsClientMaterial } from './load.ts';

type Obj = { metadata: Record<string, unknown> } & Record<string, unknown>;

export interface FastifyBaseline {
  port: number;
  tls: TlsClientMaterial;
  close(): Promise<void>;
}

/**
 * Bare fastify 5 over mutual TLS serving the shapes Portcullis is measured with: create answers
 * 201 with the object plus uid/resourceVersion, GET answers a stored object from a Map, list
 * answers every object of the namespace. No pipeline, no validation, no storage.
 */
export async function startFastifyBaseline(): Promise<FastifyBaseline> {
  const now = new Date();
  const ca = createCA({ commonName: 'bench-ca', now, validityDays: 1 });
  const server = issueCert(ca, { commonName: 'bench-server', usage: 'server', now, validityDays: 1 });
  const client = issueCert(ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client', now, validityDays: 1 });

  const app = Fastify({
    logger: false,
    https: { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
  });
  const byNamespace = new Map<string, Map<string, Obj>>();
  let revision = 0;

  app.post<{ Params: { ns: string }; Body: Obj }>('/api/v1/namespaces/:ns/configmaps', async (req, reply) => {
    const obj = req.body;
    const name = String(obj.metadata?.name ?? '');
    let objects = byNamespace.get(req.params.ns);
    if (!objects) byNamespace.set(req.params.ns, (objects = new Map()));
    if (objects.has(name)) return reply.code(409).send({ kind: 'Status', code: 409 });
    const stored: Obj = {
      ...obj,
      metadata: { ...obj.metadata, namespace: req.params.ns, uid: randomUUID(), resourceVersion: String(++revision), creationTimestamp: new Date().toISOString() },
    };
    objects.set(name, stored);
    return reply.code(201).send(stored);
  });
  app.get<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/configmaps/:name', async (req, reply) => {
    const obj = byNamespace.get(req.params.ns)?.get(req.params.name);
    if (!obj) return reply.code(404).send({ kind: 'Status', code: 404 });
    return reply.send(obj);
  });
  app.get<{ Params: { ns: string } }>('/api/v1/namespaces/:ns/configmaps', async (req, reply) => {
    const items = [...(byNamespace.get(req.params.ns)?.values() ?? [])];
    return reply.send({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(revision) }, items });
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { port, tls: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem }, close: () => app.close() };
}
