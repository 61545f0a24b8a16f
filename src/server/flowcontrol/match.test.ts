import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from '../request-info.ts';
import { matchesFlowSchema, matchesSubject } from './match.ts';

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
