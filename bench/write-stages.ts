/**
 * CPU per stage of the two writes that dominate the full-size scale bench besides the pod create
 * (issue 12): a node's Lease renewal (PUT by the node, as upstream's lease controller sends it)
 * and the scheduler's POST pods/binding. Each stage of the REST handler (update.ts
 * guaranteedUpdate, binding.ts bindPod) and the authorizer is called on its own, in-process,
 * on the inputs the real request gives it (built once by running the request), N times in a
 * row; the figure is process CPU (user + system, so the GC helper threads' share too) per call.
 * The stages' sum is compared with the whole handler (dispatch) measured the same way: it comes
 * to about 55-65 % of it (measured 2026-12-08), a stage looped alone running with hot caches
 * and collecting only its own garbage, so a stage's share of the whole is larger than its
 * figure here, roughly in proportion to what it allocates. What
 * runs around the handler (TLS, HTTP, fastify, authn, APF, audit, metrics) is measured by
 * bench/request-cpu.ts and bench/request-hooks-cpu.ts.
 *
 * Usage: node bench/write-stages.ts [calls per stage (default 10000)] [rounds (3)]
 * Prints one JSON document: per request, per stage the median over rounds of CPU µs per call.
 */
import { call, request, withControlPlane } from './in-process-dispatch.ts';
import { dispatch } from '../src/server/rest/dispatch.ts';
import { decodeObject } from '../src/server/rest/decode-object.ts';
import { toApiObject, toStoredValue, type K8sObject } from '../src/server/rest/objects.ts';
import { apiObjectJson } from '../src/server/rest/serialize.ts';
import { prepareForUpdate } from '../src/server/rest/prepare.ts';
import { admissionAttributes, trackManagedFields } from '../src/server/rest/admit.ts';
import { cloneJson } from '../src/api/patch/json-value.ts';
import { jsonEqual } from '../src/api/json-equal.ts';
import { applyDefaults } from '../src/api/defaults/index.ts';
import { validateObject } from '../src/api/validation/index.ts';
import { withCapabilities } from '../src/api/validation/capabilities.ts';
import { canonicalizeQuantities } from '../src/api/schema/canonical-quantities.ts';
import { dropDisabledPodFields } from '../src/server/rest/pod-gated-fields.ts';
import { emptyOutcome } from '../src/admission/chain.ts';
import { objectKey } from '../src/api/registry/resource-def.ts';
import { podBody } from './scale.ts';
import type { RestContext, RestRequest } from '../src/server/rest/context.ts';
import type { UserInfo } from '../src/authn/types.ts';
import type { AuthzAttributes } from '../src/authz/types.ts';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const NS = 'bench-scale';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const NODE = 'sim-0';
const nodeUser: UserInfo = { username: `system:node:${NODE}`, groups: ['system:nodes', 'system:authenticated'] };
const schedulerUser: UserInfo = { username: 'system:kube-scheduler', groups: ['system:authenticated'] };
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
const lease = (renewTime: string) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: NODE, namespace: 'kube-node-lease' },
  spec: { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime },
});

type Stage = { name: string; run: (i: number) => unknown; async?: boolean };

async function cpuPerCall(s: Stage): Promise<number> {
  const c0 = process.cpuUsage();
  if (s.async) for (let i = 0; i < N; i++) await s.run(i);
  else for (let i = 0; i < N; i++) s.run(i);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / N;
}

async function measureStages(label: string, stages: Stage[]): Promise<Record<string, number>> {
  const rounds: Record<string, number[]> = {};
  for (let r = 0; r <= ROUNDS; r++) {
    for (const s of stages) {
      const us = await cpuPerCall(s);
      if (r > 0) (rounds[s.name] ??= []).push(us); // round 0 warms up
    }
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rounds)) out[k] = Math.round(v.sort((a, b) => a - b)[Math.floor(v.length / 2)]! * 10) / 10;
  process.stderr.write(`[write-stages] ${label} ${JSON.stringify(out)}\n`);
  return out;
}

function authzAttrs(req: RestRequest, user: UserInfo): AuthzAttributes {
  const { info } = req;
  return { user, verb: info.verb, isResourceRequest: true, path: info.path, apiGroup: info.apiGroup, apiVersion: info.apiVersion, namespace: info.namespace, resource: info.resource, subresource: info.subresource, name: info.name };
}

function authorizeStage(ctx: RestContext, attrs: AuthzAttributes): Stage {
  const a = ctx.authorizer;
  return a.authorizeSync ? { name: 'authorize (sync chain)', run: () => a.authorizeSync!(attrs) } : { name: 'authorize', run: () => a.authorize(attrs), async: true };
}

async function leaseStages(ctx: RestContext): Promise<Record<string, number>> {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  await call(ctx, 'POST', LEASES, lease(micro(clock)), 'application/json', 'kubelet', nodeUser);
  const put = () => request(ctx, 'PUT', `${LEASES}/${NODE}`, lease(micro(++clock)), 'application/json', 'kubelet', nodeUser);
  const req = put();
  const { def } = req;
  const key = objectKey(def, 'kube-node-lease', NODE);
  const s = (await ctx.store.get<K8sObject>(key))!;
  const body = decodeObject(ctx, req);
  const current = cloneJson(toApiObject(def, s));
  const next = prepareForUpdate(def, cloneJson(body), current, '', ctx.now);
  next.metadata.resourceVersion = String(s.modRevision);
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  const attrs = admissionAttributes(req, 'UPDATE', next, current, false, '');
  const sent = next.metadata.managedFields;
  // The value a renewal stores: with its managedFields entry, as the handler's.
  const tracked = { ...next, metadata: { ...next.metadata } };
  trackManagedFields(ctx, req, tracked, current, '');
  const nextStored = toStoredValue(tracked, def);
  // store.update: a run of renewals of one Lease, each value its own object (as each request's is).
  let rev = s.modRevision;
  const values = Array.from({ length: N }, (_, i) => ({ ...nextStored, spec: { ...nextStored.spec, renewTime: micro(clock + 1000 + i) } }));
  const written = await ctx.store.update<K8sObject>(key, values[0]!, rev);
  rev = written.modRevision;
  const puts = Array.from({ length: N }, () => put());
  return measureStages('lease PUT', [
    authorizeStage(ctx, authzAttrs(req, nodeUser)),
    { name: 'decodeObject (JSON.parse, field validation)', run: () => decodeObject(ctx, req) },
    { name: 'store.get (watch cache)', run: () => ctx.store.get<K8sObject>(key), async: true },
    { name: 'cloneJson(toApiObject(stored))', run: () => cloneJson(toApiObject(def, s)) },
    { name: 'cloneJson(body) + prepareForUpdate', run: () => prepareForUpdate(def, cloneJson(body), current, '', ctx.now) },
    { name: 'admission: canonicalizeQuantities', run: () => canonicalizeQuantities(ctx.schema, def.typeName!, next) },
    { name: 'admission: mutating chain', run: () => ctx.admission.admit(attrs, emptyOutcome()), async: true },
    { name: 'dropDisabledPodFields + applyDefaults', run: () => (dropDisabledPodFields(def, next, current), applyDefaults(gvk, next)) },
    { name: 'validateObject', run: () => withCapabilities({ allowPrivileged: false }, () => validateObject(gvk, next, current, '')) },
    { name: 'admission: validating chain', run: () => ctx.admission.validate(attrs, emptyOutcome()), async: true },
    {
      name: 'trackManagedFields',
      run: () => {
        next.metadata.managedFields = sent;
        trackManagedFields(ctx, req, next, current, '');
      },
    },
    { name: 'toStoredValue + no-op check', run: () => jsonEqual({ ...toStoredValue(next, def), metadata: { ...next.metadata, managedFields: undefined } }, { ...s.value, metadata: { ...s.value.metadata, managedFields: undefined } }) },
    {
      name: 'store.update (one at a time)',
      run: async (i) => {
        // The whole handler's renewals moved the Lease on since the last round.
        if (i === 0) rev = (await ctx.store.get<K8sObject>(key))!.modRevision;
        const w = await ctx.store.update<K8sObject>(key, values[i]!, rev);
        rev = w.modRevision;
        return w;
      },
      async: true,
    },
    { name: 'answer: apiObjectJson of a new revision', run: (i) => apiObjectJson(def, { ...written, value: values[i]! }) },
    {
      name: 'whole handler (dispatch + answer text)',
      run: async (i) => {
        const res = await dispatch(ctx, puts[i]!);
        if (res.code !== 200) throw new Error(`PUT answered ${res.code}`);
        return res.raw ?? JSON.stringify(res.body);
      },
      async: true,
    },
  ]);
}

async function bindingStages(ctx: RestContext): Promise<Record<string, number>> {
  await call(ctx, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await call(ctx, 'POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  await call(ctx, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
  // Pods to bind: one per measured call of the handler, so each bind finds its pod unbound.
  const count = (ROUNDS + 1) * N + 2;
  for (let i = 0; i < count; i++) await call(ctx, 'POST', `/api/v1/namespaces/${NS}/pods`, podBody(i), 'application/json', 'scale');
  const pods = ctx.registry.get('', 'v1', 'pods')!;
  const bindReq = (i: number) => request(ctx, 'POST', `/api/v1/namespaces/${NS}/pods/p-${i}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: `p-${i}` }, target: { apiVersion: 'v1', kind: 'Node', name: NODE } }, 'application/json', 'kube-scheduler', schedulerUser);
  const req = bindReq(0);
  const key0 = objectKey(pods, NS, 'p-0');
  const s = (await ctx.store.get<K8sObject>(key0))!;
  const binds = Array.from({ length: count - 2 }, (_, i) => bindReq(i + 1));
  let nextPod = 0;
  // store.update of the pod: a run of writes of one bound pod, each value its own object.
  const bound = { ...s.value, spec: { ...s.value.spec, nodeName: NODE } };
  const podValues = Array.from({ length: N }, (_, i) => ({ ...bound, status: { ...(s.value.status ?? {}), conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: micro(Date.parse('2026-01-01T00:00:00Z') + i * 1000).replace(/\.\d+Z$/, 'Z') }] } }));
  const keyW = objectKey(pods, NS, `p-${count - 1}`);
  let rev = (await ctx.store.get<K8sObject>(keyW))!.modRevision;
  const stages: Stage[] = [
    authorizeStage(ctx, authzAttrs(req, schedulerUser)),
    { name: 'decodeObject (Binding)', run: () => decodeObject(ctx, req, { apiVersion: 'v1', kind: 'Binding' }) },
    { name: 'store.get (watch cache)', run: () => ctx.store.get<K8sObject>(key0), async: true },
    {
      name: 'copy + PodScheduled',
      run: () => {
        const v = s.value;
        const pod = { ...v, metadata: { ...v.metadata }, spec: { ...v.spec, nodeName: NODE }, status: { ...(v.status ?? {}), conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
        return pod;
      },
    },
    {
      name: 'store.update of the pod (one at a time)',
      run: async (i) => {
        const w = await ctx.store.update<K8sObject>(keyW, podValues[i]!, rev);
        rev = w.modRevision;
        return w;
      },
      async: true,
    },
    { name: 'answer: Status JSON', run: () => JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }) },
    {
      name: 'whole handler (dispatch, store.update included)',
      run: async () => {
        const res = await dispatch(ctx, binds[nextPod++]!);
        if (res.code !== 201) throw new Error(`bind answered ${res.code}`);
        return res.raw ?? JSON.stringify(res.body);
      },
      async: true,
    },
  ];
  return measureStages('pods/binding POST', stages);
}

await withControlPlane(async (ctx) => {
  const out = { settings: { calls: N, rounds: ROUNDS }, leasePut: await leaseStages(ctx), binding: await bindingStages(ctx) };
  console.log(JSON.stringify(out, null, 1));
});
