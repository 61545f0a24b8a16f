import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from '../request-info.ts';
import { compileFlowSchema, matchesFlowSchema, matchesSubject } from './match.ts';

const info = (method: string, path: string) => parseRequestInfo(method, path, new URLSearchParams());
const anyone = [{ kind: 'Group', group: { name: '*' } }];

test('subjects: user, group, service account by name or namespace', () => {
  const sa = { username: 'system:serviceaccount:kube-system:foo', groups: [] };
  assert.ok(matchesSubject(sa, { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: '*' } }));
  assert.ok(matchesSubject(sa, { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube-system', name: 'foo' } }));
  assert.ok(!matchesSubject(sa, { kind: 'ServiceAccount', serviceAccount: { namespace: 'kube', name: '*' } }), 'a namespace prefix is not the namespace');
  assert.ok(matchesSubject({ username: 'bob', groups: ['g'] }, { kind: 'Group', group: { name: 'g' } }));
  assert.ok(!matchesSubject({ username: 'bob', groups: [] }, { kind: 'User', user: { name: 'alice' } }));
  assert.ok(!matchesSubject({ username: 'bob', groups: [] }, { kind: 'Group' }), 'a subject without its member matches nobody');
});

test('resource rules: verb, group, resource/subresource, namespace or cluster scope', () => {
  const spec = (r: Record<string, unknown>) => ({ rules: [{ subjects: anyone, resourceRules: [{ verbs: ['*'], apiGroups: [''], ...r }] }] });
  const u = { username: 'u', groups: [] };
  assert.ok(matchesFlowSchema(spec({ resources: ['nodes/status'], clusterScope: true }), info('PUT', '/api/v1/nodes/n1/status'), u));
  assert.ok(!matchesFlowSchema(spec({ resources: ['nodes'], clusterScope: true }), info('PUT', '/api/v1/nodes/n1/status'), u));
  assert.ok(!matchesFlowSchema(spec({ resources: ['pods'], namespaces: ['*'] }), info('GET', '/api/v1/pods'), u), 'all-namespaces list is cluster scope');
  assert.ok(matchesFlowSchema(spec({ resources: ['pods'], namespaces: ['a'] }), info('GET', '/api/v1/namespaces/a/pods'), u));
  assert.ok(!matchesFlowSchema(spec({ resources: ['pods'], namespaces: ['a'] }), info('GET', '/api/v1/namespaces/b/pods'), u));
});

test('non-resource rules: exact paths, and a path covers what lies under it', () => {
  const spec = (urls: string[]) => ({ rules: [{ subjects: anyone, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: urls }] }] });
  const u = { username: 'u', groups: [] };
  assert.ok(matchesFlowSchema(spec(['/healthz']), info('GET', '/healthz'), u));
  assert.ok(matchesFlowSchema(spec(['/healthz']), info('GET', '/healthz/etcd'), u));
  assert.ok(matchesFlowSchema(spec(['/apis/*']), info('GET', '/apis/apps'), u));
  assert.ok(!matchesFlowSchema(spec(['/healthz']), info('GET', '/healthzz'), u));
  assert.ok(!matchesFlowSchema(spec(['/healthz']), info('POST', '/healthz'), u));
});

test('compiled once: lists of several values, empty lists, a subject among several, rules tried in turn', () => {
  const nodes = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const alice = { username: 'alice', groups: ['system:authenticated'] };
  const spec = {
    rules: [
      { subjects: [{ kind: 'User', user: { name: 'bob' } }, { kind: 'Group', group: { name: 'system:nodes' } }], resourceRules: [{ verbs: ['get', 'patch', 'update'], apiGroups: ['', 'coordination.k8s.io'], resources: ['leases', 'pods/status'], namespaces: ['kube-node-lease', 'default'] }] },
      { subjects: anyone, resourceRules: [{ verbs: [], apiGroups: ['*'], resources: ['*'], namespaces: ['*'] }], nonResourceRules: [{ verbs: ['get', 'post'], nonResourceURLs: ['/metrics', '/debug/*'] }] },
    ],
  };
  const m = compileFlowSchema(spec);
  assert.ok(m(info('PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'), nodes));
  assert.ok(m(info('PUT', '/api/v1/namespaces/default/pods/p/status'), nodes));
  assert.ok(!m(info('DELETE', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'), nodes), 'verb not listed');
  assert.ok(!m(info('PATCH', '/api/v1/namespaces/default/pods/p'), nodes), 'the subresource is part of the resource');
  assert.ok(!m(info('PATCH', '/apis/coordination.k8s.io/v1/namespaces/other/leases/n1'), nodes), 'namespace not listed');
  assert.ok(!m(info('PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'), alice), 'subject not matched; an empty verb list matches nothing');
  assert.ok(m(info('GET', '/metrics'), alice));
  assert.ok(m(info('POST', '/debug/pprof/profile'), alice));
  assert.ok(!m(info('PUT', '/metrics'), alice));
  // The same answers as the one-shot form, which compiles for each call.
  for (const [method, path] of [['PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1'], ['GET', '/metrics'], ['GET', '/debugz']] as const) {
    for (const u of [nodes, alice]) assert.equal(m(info(method, path), u), matchesFlowSchema(spec, info(method, path), u));
  }
});
