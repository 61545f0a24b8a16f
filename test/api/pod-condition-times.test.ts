/**
 * PodCondition's lastProbeTime and lastTransitionTime are metav1.Time values upstream, not pointers:
 * a condition written without them (a controller's DisruptionTarget, a client's own condition) is
 * read back with both, null when unset, in the Go struct's field order, as `kubectl get pod -o json`
 * shows them from kube-apiserver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterPerFile } from '../helpers/cluster.ts';

const c = clusterPerFile();

const NS = '/api/v1/namespaces/default';

test('pod conditions written without lastProbeTime/lastTransitionTime read back with them null, in Go field order', async () => {
  const created = await c.admin.post(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'conds' }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });
  assert.equal(created.status, 201, created.text);
  const patched = await c.admin.patch(`${NS}/pods/conds/status`, {
    status: {
      conditions: [
        { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: '2026-01-02T03:04:05Z' },
        { type: 'example.com/Custom', status: 'False' },
        { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-01-02T03:04:05Z', reason: 'Unschedulable' },
      ],
    },
  }, 'application/merge-patch+json');
  assert.equal(patched.status, 200, patched.text);
  const got = await c.admin.get(`${NS}/pods/conds`);
  assert.equal(got.status, 200, got.text);
  const conds = got.body.status.conditions as Array<Record<string, unknown>>;
  assert.deepEqual(conds.map((x) => Object.keys(x)), [
    ['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'reason', 'message'],
    ['type', 'status', 'lastProbeTime', 'lastTransitionTime'],
    ['type', 'status', 'lastProbeTime', 'lastTransitionTime', 'reason'],
  ]);
  assert.deepEqual(conds.map((x) => [x.lastProbeTime, x.lastTransitionTime]), [[null, '2026-01-02T03:04:05Z'], [null, null], [null, '2026-01-02T03:04:05Z']]);
  assert.match(got.text, /"lastProbeTime":null/);
});
