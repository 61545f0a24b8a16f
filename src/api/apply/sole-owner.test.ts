/**
 * recordUpdate's repeat-write shortcut (soleOwnerRewrite: the only manager rewrites leaves it
 * already owns, as a node renewing its Lease) must record exactly what the general path
 * records. Every case runs both ways (the general path forced) and the encoded entries must be
 * equal; the cases cover the shortcut's own (taken) and every way out of it (not taken).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from '../schema/schema.ts';
import { capUpdateManagers } from './cap-managers.ts';
import { decodeManagedFields, encodeManagedFields, type ManagedFieldsEntry } from './managed-fields.ts';
import { recordUpdate, soleOwnerRewrite, updateManagedFields, type Subresource } from './update.ts';
import { compareObjects } from './compare.ts';
import { filterComparison, resetFieldSet } from './ownership.ts';
import { rootRef } from './shape.ts';
import { viewWithoutManagedFields } from './object-meta.ts';

type Obj = Record<string, any>;
const schema = loadSchema();
const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:00:10Z';
const LEASE = 'k8s.io.api.coordination.v1.Lease';
const CM = 'k8s.io.api.core.v1.ConfigMap';
const DEPLOY = 'k8s.io.api.apps.v1.Deployment';

interface Writer {
  manager: string;
  apiVersion: string;
  subresource: Subresource;
  resetFields: string[];
}
const kubelet: Writer = { manager: 'kubelet', apiVersion: 'coordination.k8s.io/v1', subresource: '', resetFields: [] };

const lease = (renew: string, extra: Obj = {}, meta: Obj = {}): Obj => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name: 'n1', namespace: 'kube-node-lease', uid: 'u1', resourceVersion: '7', generation: 1, creationTimestamp: T0, ...meta },
  spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: renew, ...extra },
});
const withMF = (o: Obj, mf: ManagedFieldsEntry[]): Obj => ({ ...o, metadata: { ...o.metadata, managedFields: mf } });

/** The object as stored after `w` wrote it over `prev` (its managedFields as the write path computes them). */
function written(w: Writer, prev: Obj | undefined, obj: Obj, typeName: string, time = T0): Obj {
  return withMF(obj, updateManagedFields(schema, typeName, prev, obj, w.manager, 'Update', w.subresource, time, { resetFields: w.resetFields, apiVersion: w.apiVersion }));
}

interface Case {
  name: string;
  typeName: string;
  old: Obj;
  next: Obj;
  writer: Writer;
  /** Whether the shortcut applies (so that both kinds are covered). */
  shortcut: boolean;
}

function both(c: Case): { fast: ManagedFieldsEntry[]; general: ManagedFieldsEntry[]; took: boolean } {
  const managers = decodeManagedFields(c.old.metadata.managedFields, { stored: true });
  const u = { manager: c.writer.manager, operation: 'Update' as const, subresource: c.writer.subresource, apiVersion: c.writer.apiVersion, time: T1, resetFields: c.writer.resetFields };
  const enc = (general: boolean) => encodeManagedFields(capUpdateManagers(recordUpdate(schema, c.typeName, c.old, c.next, managers, u, general)));
  const comparison = filterComparison(compareObjects(schema, rootRef(schema, c.typeName), viewWithoutManagedFields(c.old), viewWithoutManagedFields(c.next)), resetFieldSet(u.resetFields));
  return { fast: enc(false), general: enc(true), took: soleOwnerRewrite(managers, comparison, u) !== undefined };
}

const renewed = written(kubelet, undefined, lease(T0), LEASE);
const other: Writer = { ...kubelet, manager: 'other' };
const twoManagers = written(other, renewed, lease(T0, { acquireTime: '2026-01-01T00:00:00.000000Z' }), LEASE);
// A client may send managedFields naming fields the server never lets a writer own (here
// metadata.generation) and fields it does not have.
const claimed: ManagedFieldsEntry[] = [
  { manager: 'kubelet', operation: 'Update', apiVersion: 'coordination.k8s.io/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:generation': {}, 'f:labels': { 'f:a': {} } }, 'f:spec': { 'f:renewTime': {}, 'f:holderIdentity': {} } } },
];
const cmWriter: Writer = { manager: 'ctl', apiVersion: 'v1', subresource: '', resetFields: [] };
const cm = (data: Obj, meta: Obj = {}): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns', uid: 'u', creationTimestamp: T0, ...meta }, data });
const cmOld = written(cmWriter, undefined, cm({ a: '1', b: '2' }, { labels: { x: 'y' } }), CM);
const dWriter: Writer = { manager: 'kube-controller-manager', apiVersion: 'apps/v1', subresource: 'status', resetFields: ['spec'] };
const deploy = (status: Obj, spec: Obj = { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } }): Obj => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'ns', uid: 'u', generation: 1, creationTimestamp: T0 },
  spec,
  status,
});
const dOld = written(dWriter, deploy({}), deploy({ replicas: 1, readyReplicas: 0, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] }), DEPLOY);

const CASES: Case[] = [
  { name: 'Lease renewal by its only manager', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z'), writer: kubelet, shortcut: true },
  { name: 'Lease renewal changing two owned leaves', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z', { leaseDurationSeconds: 30, holderIdentity: 'n2' }), writer: kubelet, shortcut: true },
  { name: 'nothing changed', typeName: LEASE, old: renewed, next: lease(T0), writer: kubelet, shortcut: true },
  { name: 'an owned leaf and metadata the writer may not own', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z', {}, { generation: 2, resourceVersion: '8' }), writer: kubelet, shortcut: false },
  { name: 'an owned leaf and the resourceVersion', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z', {}, { resourceVersion: '8' }), writer: kubelet, shortcut: false },
  { name: 'a field added', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z', { leaseTransitions: 1 }), writer: kubelet, shortcut: false },
  { name: 'a field removed', typeName: LEASE, old: renewed, next: { ...lease(T0), spec: { holderIdentity: 'n1', renewTime: T0 } }, writer: kubelet, shortcut: false },
  { name: 'a label added', typeName: LEASE, old: renewed, next: lease(T0, {}, { labels: { a: 'b' } }), writer: kubelet, shortcut: false },
  { name: 'the same renewal by another manager', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z'), writer: other, shortcut: false },
  { name: 'the same renewal at another apiVersion', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z'), writer: { ...kubelet, apiVersion: 'coordination.k8s.io/v1beta1' }, shortcut: false },
  { name: 'the same renewal through a subresource', typeName: LEASE, old: renewed, next: lease('2026-01-01T00:00:10.000000Z'), writer: { ...kubelet, subresource: 'status' }, shortcut: false },
  { name: 'two managers', typeName: LEASE, old: twoManagers, next: lease('2026-01-01T00:00:10.000000Z', { acquireTime: '2026-01-01T00:00:00.000000Z' }), writer: kubelet, shortcut: false },
  { name: 'a claimed field changed (not a stripped one)', typeName: LEASE, old: withMF(lease(T0), claimed), next: lease('2026-01-01T00:00:10.000000Z', {}, {}), writer: kubelet, shortcut: true },
  { name: 'a claimed field the writer may not own changed', typeName: LEASE, old: withMF(lease(T0), claimed), next: lease(T0, {}, { generation: 2 }), writer: kubelet, shortcut: false },
  { name: 'the same, with an owned leaf', typeName: LEASE, old: withMF(lease(T0), claimed), next: lease('2026-01-01T00:00:10.000000Z', {}, { generation: 2 }), writer: kubelet, shortcut: false },
  { name: 'a claimed label changed', typeName: LEASE, old: withMF(lease(T0, {}, { labels: { a: '1' } }), claimed), next: lease(T0, {}, { labels: { a: '2' } }), writer: kubelet, shortcut: false },
  { name: 'ConfigMap data value rewritten by its only manager', typeName: CM, old: cmOld, next: cm({ a: '3', b: '2' }, { labels: { x: 'y' } }), writer: cmWriter, shortcut: true },
  { name: 'ConfigMap label value rewritten', typeName: CM, old: cmOld, next: cm({ a: '1', b: '2' }, { labels: { x: 'z' } }), writer: cmWriter, shortcut: false },
  { name: 'ConfigMap key added', typeName: CM, old: cmOld, next: cm({ a: '1', b: '2', c: '3' }, { labels: { x: 'y' } }), writer: cmWriter, shortcut: false },
  { name: 'Deployment status rewritten through /status (spec reset)', typeName: DEPLOY, old: dOld, next: deploy({ replicas: 1, readyReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] }), writer: dWriter, shortcut: true },
  {
    name: 'Deployment status and spec changed through /status (spec reset)',
    typeName: DEPLOY,
    old: dOld,
    next: deploy({ replicas: 1, readyReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] }, { replicas: 3, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } }),
    writer: dWriter,
    shortcut: true,
  },
  // conditions is a map-list keyed by type: a condition added is an item added.
  { name: 'Deployment condition added', typeName: DEPLOY, old: dOld, next: deploy({ replicas: 1, readyReplicas: 0, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }, { type: 'Progressing', status: 'True' }] }), writer: dWriter, shortcut: false },
  { name: 'typed unknown to the schema (deduced): a rewrite', typeName: 'no.such.Type', old: cmOld, next: cm({ a: '3', b: '2' }, { labels: { x: 'y' } }), writer: cmWriter, shortcut: true },
  { name: 'Deployment status field added', typeName: DEPLOY, old: dOld, next: deploy({ replicas: 1, readyReplicas: 0, unavailableReplicas: 1, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] }), writer: dWriter, shortcut: false },
  { name: 'Deployment status field removed', typeName: DEPLOY, old: dOld, next: deploy({ replicas: 1, conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] }), writer: dWriter, shortcut: false },
];

test('the repeat-write shortcut records what the general path records', () => {
  for (const c of CASES) {
    const { fast, general, took } = both(c);
    assert.deepEqual(fast, general, c.name);
    assert.equal(took, c.shortcut, `${c.name}: shortcut ${c.shortcut ? 'not ' : ''}taken`);
  }
});

test('a renewal keeps the entry and its stored FieldsV1, under the new time', () => {
  const { fast } = both(CASES[0]!);
  const before = renewed.metadata.managedFields as ManagedFieldsEntry[];
  assert.deepEqual(fast, [{ ...before[0], time: T1 }]);
  const unchanged = both(CASES[2]!).fast;
  assert.deepEqual(unchanged, before, 'nothing changed: the entry as it was, time included');
});

test('generated renewals and rewrites: both paths agree', () => {
  // Leases whose only manager rewrites any mix of its leaves, with and without extra changes.
  let n = 0;
  const renews = ['2026-01-01T00:00:10.000000Z', T0];
  const durations = [40, 30, undefined];
  const holders = ['n1', 'n2'];
  const transitions = [undefined, 1];
  for (const r of renews)
    for (const d of durations)
      for (const h of holders)
        for (const t of transitions)
          for (const labels of [undefined, { a: 'b' }]) {
            const spec: Obj = { holderIdentity: h, renewTime: r };
            if (d !== undefined) spec.leaseDurationSeconds = d;
            if (t !== undefined) spec.leaseTransitions = t;
            const next = { ...lease(T0), spec, metadata: { ...lease(T0).metadata, ...(labels ? { labels } : {}) } };
            for (const old of [renewed, twoManagers, withMF(lease(T0), claimed)]) {
              const c = { name: `renew=${r} d=${d} h=${h} t=${t} labels=${!!labels}`, typeName: LEASE, old, next, writer: kubelet, shortcut: false };
              const { fast, general, took } = both(c);
              assert.deepEqual(fast, general, c.name);
              if (took) n++;
            }
          }
  assert.ok(n >= 8, `the shortcut was taken in ${n} generated cases`);
});
