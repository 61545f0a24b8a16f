import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResourceRegistry } from '../api/registry/registry.ts';
import { builtinResources } from '../api/registry/builtin.ts';
import { parseRequestInfo } from '../server/request-info.ts';
import { ApiserverMetrics, MAX_LABEL_SETS, compressUsername } from './apiserver-metrics.ts';

const registry = new ResourceRegistry(builtinResources());

async function series(m: ApiserverMetrics, name: string): Promise<string[]> {
  return (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

test('in-flight requests: the most since the last scrape, per kind', async () => {
  const m = new ApiserverMetrics(registry);
  const a = m.requestStarted('POST');
  m.requestStarted('PUT');
  m.requestStarted('GET');
  m.requestEnded(a);
  assert.deepEqual(await series(m, 'apiserver_current_inflight_requests'), ['apiserver_current_inflight_requests{request_kind="readOnly"} 1', 'apiserver_current_inflight_requests{request_kind="mutating"} 2']);
  // One mutating request is still running: that is the most since the scrape.
  assert.deepEqual(await series(m, 'apiserver_current_inflight_requests'), ['apiserver_current_inflight_requests{request_kind="readOnly"} 1', 'apiserver_current_inflight_requests{request_kind="mutating"} 1']);
});

test('label sets past the bound lose their resource labels instead of growing without end', async () => {
  const m = new ApiserverMetrics(registry);
  const query = new URLSearchParams();
  const info = parseRequestInfo('GET', '/api/v1/namespaces/default/pods', query);
  // Every status code is a new label set; codes are bounded, but this many shows the cut-off.
  for (let code = 0; code < MAX_LABEL_SETS + 50; code++) m.requestFinished({ method: 'GET', info, query, contentType: undefined, code, seconds: 0.001, bytes: 10 });
  const lines = await series(m, 'apiserver_request_total');
  assert.equal(lines.filter((l) => l.includes('resource="pods"')).length, MAX_LABEL_SETS);
  assert.equal(lines.filter((l) => l.includes(',resource=""')).length, 50);
});

test('usernames are reported by upstream categories, never as themselves', () => {
  assert.equal(compressUsername('admin'), 'admin');
  assert.equal(compressUsername('alice@example.com'), 'email_id');
  assert.equal(compressUsername('system:serviceaccount:team:builder'), 'other');
});

test('requests found by their raw inputs count under the same labels, and follow resources being served or not', async () => {
  const reg = new ResourceRegistry(builtinResources());
  const m = new ApiserverMetrics(reg);
  const finish = (method: string, url: string, contentType?: string, code = 200) => {
    const [path, q = ''] = url.split('?');
    const query = new URLSearchParams(q);
    m.requestFinished({ method, info: parseRequestInfo(method, path!, query), query, contentType, code, seconds: 0.001, bytes: 10 });
  };
  for (let i = 0; i < 3; i++) {
    finish('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1');
    finish('PATCH', '/api/v1/namespaces/a/pods/p/status', 'application/merge-patch+json');
    finish('PATCH', '/api/v1/namespaces/a/pods/p', 'application/apply-patch+yaml; charset=utf-8');
    finish('GET', '/api/v1/namespaces/a/pods?watch=1');
    finish('POST', '/api/v1/namespaces/a/configmaps?dryRun=All', undefined, 201);
    finish('GET', '/apis/example.com/v1/widgets');
  }
  const lines = await series(m, 'apiserver_request_total');
  const has = (want: string) => assert.ok(lines.includes(want), `${want}\nin\n${lines.join('\n')}`);
  has('apiserver_request_total{verb="PUT",dry_run="",group="coordination.k8s.io",version="v1",resource="leases",subresource="",scope="resource",component="apiserver",code="200"} 3');
  has('apiserver_request_total{verb="PATCH",dry_run="",group="",version="v1",resource="pods",subresource="status",scope="resource",component="apiserver",code="200"} 3');
  has('apiserver_request_total{verb="APPLY",dry_run="",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver",code="200"} 3');
  has('apiserver_request_total{verb="WATCH",dry_run="",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver",code="200"} 3');
  has('apiserver_request_total{verb="POST",dry_run="All",group="",version="v1",resource="configmaps",subresource="",scope="resource",component="apiserver",code="201"} 3');
  has('apiserver_request_total{verb="LIST",dry_run="",group="",version="",resource="",subresource="",scope="cluster",component="apiserver",code="200"} 3');
  // Once served, the made-up resource is reported as itself; once gone, as nothing again.
  const widgets = { ...reg.get('', 'v1', 'configmaps')!, group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: false };
  reg.add(widgets);
  finish('GET', '/apis/example.com/v1/widgets');
  reg.remove('example.com', 'v1', 'widgets');
  finish('GET', '/apis/example.com/v1/widgets');
  const after = await series(m, 'apiserver_request_total');
  assert.ok(after.includes('apiserver_request_total{verb="LIST",dry_run="",group="example.com",version="v1",resource="widgets",subresource="",scope="cluster",component="apiserver",code="200"} 1'), after.join('\n'));
  assert.ok(after.includes('apiserver_request_total{verb="LIST",dry_run="",group="",version="",resource="",subresource="",scope="cluster",component="apiserver",code="200"} 4'), after.join('\n'));
});

test('authentication, authorization and admission children by value: the same series as by key', async () => {
  const m = new ApiserverMetrics(registry);
  const node = { username: 'system:node:n1', groups: ['system:nodes'] };
  for (let i = 0; i < 2; i++) {
    m.authenticated('success', node, 0.001);
    m.authenticated('failure', undefined, 0.001);
    m.authorized({ decision: 'allow', reason: '', authorizer: 'Node' }, 0.001);
    m.authorized({ decision: 'deny', reason: '', authorizer: 'RBAC' }, 0.001);
    m.authorized({ decision: 'deny', reason: '', authorizer: 'none' }, 0.001);
    m.authorized({ decision: 'allow', reason: '', authorizer: 'system:masters' }, 0.001);
    m.admission([{ plugin: 'A', phase: 'mutating', allowed: true, durationMs: 1 }, { plugin: 'B', phase: 'validating', allowed: false, durationMs: 2 }], 'CREATE');
  }
  assert.deepEqual(await series(m, 'authentication_attempts'), ['authentication_attempts{result="success"} 2', 'authentication_attempts{result="failure"} 2']);
  assert.deepEqual(await series(m, 'authenticated_user_requests'), ['authenticated_user_requests{username="other"} 2']);
  assert.deepEqual(await series(m, 'authorization_attempts_total'), ['authorization_attempts_total{result="allowed"} 4', 'authorization_attempts_total{result="denied"} 2', 'authorization_attempts_total{result="no-opinion"} 2']);
  assert.deepEqual(await series(m, 'apiserver_authorization_decisions_total'), ['apiserver_authorization_decisions_total{type="Node",name="node",decision="allowed"} 2', 'apiserver_authorization_decisions_total{type="RBAC",name="rbac",decision="denied"} 2']);
  const plugin = await series(m, 'apiserver_admission_controller_admission_duration_seconds_count');
  assert.deepEqual(plugin, ['apiserver_admission_controller_admission_duration_seconds_count{name="A",operation="CREATE",rejected="false",type="admit"} 2', 'apiserver_admission_controller_admission_duration_seconds_count{name="B",operation="CREATE",rejected="true",type="validate"} 2']);
  assert.deepEqual(await series(m, 'apiserver_admission_step_admission_duration_seconds_count'), ['apiserver_admission_step_admission_duration_seconds_count{operation="CREATE",rejected="false",type="admit"} 2', 'apiserver_admission_step_admission_duration_seconds_count{operation="CREATE",rejected="true",type="validate"} 2']);
});
