/**
 * CPU and promises per request of what runs around the handler (issue 12/13), in-process: the
 * server's onRequest hooks (metrics and traces, then the pipeline's request info, audit ID,
 * authentication, impersonation, APF and authorization) and onResponse hooks, called as fastify
 * calls them, for simulated kubelets' Lease PUTs (BENCH_OP=get: GETs) with their own bearer tokens
 * from a --token-auth-file (the token authenticator, the Node authorizer and RBAC, APF node-high).
 * No TLS, HTTP parsing, body or handler: what bench/request-cpu.ts measures around these is left
 * out, so a change to the pipeline shows here at its own size.
 *
 * Two figures: CPU per request (process.cpuUsage; on a loaded machine compare trees by running
 * this from each in turn) and promises created per request (async_hooks), which does not depend
 * on the machine's load. The request and reply are light stand-ins (a real IncomingMessage and
 * ServerResponse under fastify-like objects); their cost is in both figures for every tree alike.
 *
 * BENCH_AUTH says how the kubelets authenticate: `token` (default) their --token-auth-file tokens;
 * `x509` client certificates (system:node:<name> in system:nodes, ECDSA, signed by the cluster CA),
 * each node on a real TLS connection of its own to an in-process TLS server, so the x509
 * authenticator sees a verified peer as on a keep-alive connection; `sa` bound service account
 * tokens (TokenRequest, one ServiceAccount per node in kube-node-lease, allowed to get and update
 * Leases there by a Role), checked against the watch cache on every request.
 *
 * Usage: node bench/request-hooks-cpu.ts   Knobs: BENCH_REQUESTS (20000 per round, after 5000 to
 * warm up), BENCH_ROUNDS (5), BENCH_OP=put|get, BENCH_AUTH=token|x509|sa. Prints one JSON document.
 */
import { createHook } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane } from '../src/server/control-plane.ts';
import { writeScaleIdentities } from './scale-identities.ts';
import { percentile } from './stats.ts';
import { issueCert } from '../src/pki/certs.ts';
import { RestClient } from '../src/cluster/client/rest-client.ts';

const env = process.env;
const REQUESTS = Number(env.BENCH_REQUESTS ?? 20_000);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 5);
const OP = env.BENCH_OP === 'get' ? 'get' : 'put';
const AUTH = env.BENCH_AUTH === 'x509' ? 'x509' : env.BENCH_AUTH === 'sa' ? 'sa' : 'token';
const NODES = 50;
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

type Hook = (req: unknown, reply: unknown, done?: (err?: Error) => void) => unknown;

const names = Array.from({ length: NODES }, (_, i) => `bench-node-${i}`);
const log = pino({ level: 'silent' });
const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-hooks-bench-'));
const ids = writeScaleIdentities(dataDir, names);
const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: log, durability: 'normal', controllers: [], scheduler: false, leaderElect: false, authn: { tokenAuthFile: ids.tokenAuthFile } });
const app = cp.server.app;
await app.ready();
// fastify keeps its hooks under a symbol of its own; a bench may look.
const kHooks = Object.getOwnPropertySymbols(app).find((s) => s.description === 'fastify.hooks');
if (!kHooks) throw new Error('fastify hooks not found (fastify changed its internals)');
const hooks = (app as unknown as Record<symbol, { onRequest: Hook[]; onResponse: Hook[] }>)[kHooks]!;
const socket = new Socket();

/** Per node: the socket its requests come on and the Authorization header it sends, if any. */
const clients = new Map<string, { socket: Socket; authorization?: string }>();
const closers: Array<() => void> = [];
if (AUTH === 'token') for (const n of names) clients.set(n, { socket, authorization: `Bearer ${ids.nodeToken(n)}` });
if (AUTH === 'x509') {
  const ca = { certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem };
  const server = tls.createServer({ cert: cp.pki.serverCertPem, key: cp.pki.serverKeyPem, ca: cp.pki.caCertPem, requestCert: true, rejectUnauthorized: false });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => server.close());
  for (const n of names) {
    const cert = issueCert(ca, { commonName: `system:node:${n}`, organizations: ['system:nodes'], usage: 'client', now: new Date(), validityDays: 1, keyAlgorithm: 'ECDSA-P256' });
    const accepted = once(server, 'secureConnection') as Promise<[tls.TLSSocket]>;
    const client = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', cert: cert.certPem, key: cert.keyPem, ca: cp.pki.caCertPem, servername: 'localhost' });
    client.on('error', () => {});
    const [serverSide] = await accepted;
    closers.push(() => (client.destroy(), serverSide.destroy()));
    clients.set(n, { socket: serverSide });
  }
}
if (AUTH === 'sa') {
  const admin = new RestClient({ server: cp.url, identity: { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem }, userAgent: 'bench' });
  const ns = 'kube-node-lease';
  const rbac = (resource: string, kind: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource, kind, namespaced: true });
  await admin.create(rbac('roles', 'Role'), ns, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'bench-leases', namespace: ns }, rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'] }] });
  await admin.create(rbac('rolebindings', 'RoleBinding'), ns, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'bench-leases', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bench-leases' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `system:serviceaccounts:${ns}` }],
  });
  const sa = { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true };
  for (const n of names) {
    await admin.create(sa, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: n, namespace: ns } });
    const tr = await cp.server.ctx.tokenRequest!(ns, n, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    clients.set(n, { socket, authorization: `Bearer ${(tr.status as { token: string }).token}` });
  }
  admin.close();
}

function call(hook: Hook, req: unknown, reply: unknown): Promise<unknown> | unknown {
  if (hook.length < 3) return hook(req, reply);
  return new Promise<void>((ok, ko) => hook(req, reply, (e) => (e ? ko(e) : ok())));
}

async function one(i: number): Promise<void> {
  const node = names[i % NODES]!;
  const method = OP === 'get' ? 'GET' : 'PUT';
  const url = `${LEASES}/${node}`;
  const c = clients.get(node)!;
  const raw = new IncomingMessage(c.socket);
  raw.url = url;
  raw.method = method;
  raw.rawHeaders = ['Host', 'apiserver', ...(c.authorization ? ['Authorization', c.authorization] : []), 'Content-Type', 'application/json', 'User-Agent', 'kubelet/v1.33.0'];
  const res = new ServerResponse(raw);
  const headers: Record<string, unknown> = {};
  const reqHeaders: Record<string, string> = { host: 'apiserver', 'content-type': 'application/json', 'user-agent': 'kubelet/v1.33.0' };
  if (c.authorization) reqHeaders.authorization = c.authorization;
  const req = { method, url, raw, log, headers: reqHeaders };
  const reply = {
    raw: res,
    statusCode: 200,
    elapsedTime: 0.25,
    header(k: string, v: unknown) {
      headers[k.toLowerCase()] = v;
      return reply;
    },
    headers(o: Record<string, unknown>) {
      for (const k in o) headers[k] = o[k];
      return reply;
    },
    getHeader: (k: string) => headers[k],
  };
  for (const h of hooks.onRequest) await call(h, req, reply);
  // The answer is sent: the APF seat goes back on 'close', as on a real response.
  res.emit('close');
  for (const h of hooks.onResponse) await call(h, req, reply);
}

async function run(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await one(i);
}

try {
  await run(5000);
  let promises = 0;
  const counter = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  });
  counter.enable();
  await run(1000);
  counter.disable();
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    await run(REQUESTS);
    const c = process.cpuUsage(c0);
    rounds.push(Math.round(((c.user + c.system) / REQUESTS) * 10) / 10);
  }
  console.log(
    JSON.stringify(
      {
        op: OP,
        auth: AUTH,
        requests: REQUESTS,
        medianCpuMicrosPerRequest: percentile([...rounds].sort((a, b) => a - b), 50),
        rounds,
        // Includes the bench's own: a promise per callback-style hook call and one per await.
        promisesPerRequest: promises / 1000,
      },
      null,
      1,
    ),
  );
} finally {
  for (const close of closers) close();
  await cp.close();
  rmSync(dataDir, { recursive: true, force: true });
}
