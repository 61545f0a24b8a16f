import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from './request-info.ts';

const cases: Array<[string, string, string, Partial<ReturnType<typeof parseRequestInfo>>]> = [
  ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces', namespace: '', name: '' }],
  ['GET', '/api/v1/namespaces/other', '', { verb: 'get', resource: 'namespaces', namespace: '', name: 'other' }],
  ['PUT', '/api/v1/namespaces/other/finalize', '', { verb: 'update', resource: 'namespaces', subresource: 'finalize', name: 'other', namespace: '' }],
  ['GET', '/api/v1/namespaces/other/pods', '', { verb: 'list', resource: 'pods', namespace: 'other' }],
  ['GET', '/api/v1/namespaces/other/pods/foo', '', { verb: 'get', resource: 'pods', name: 'foo', namespace: 'other' }],
  ['GET', '/api/v1/namespaces/other/pods/foo/log', '', { verb: 'get', resource: 'pods', subresource: 'log', name: 'foo' }],
  ['GET', '/api/v1/pods', '', { verb: 'list', resource: 'pods', namespace: '' }],
  ['GET', '/api/v1/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
  ['GET', '/api/v1/watch/namespaces/ns/pods', '', { verb: 'watch', resource: 'pods', namespace: 'ns' }],
  ['POST', '/apis/apps/v1/namespaces/ns/deployments', '', { verb: 'create', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments' }],
  ['PATCH', '/apis/apps/v1/namespaces/ns/deployments/d/scale', '', { verb: 'patch', subresource: 'scale', name: 'd' }],
  ['DELETE', '/api/v1/namespaces/ns/pods', '', { verb: 'deletecollection', resource: 'pods' }],
  ['DELETE', '/api/v1/namespaces/ns/pods/p', '', { verb: 'delete', name: 'p' }],
  ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin', '', { verb: 'get', resource: 'clusterroles', name: 'admin', namespace: '' }],
];

test('resource requests are parsed as upstream', () => {
  for (const [method, path, q, want] of cases) {
    const info = parseRequestInfo(method, path, new URLSearchParams(q));
    assert.equal(info.isResourceRequest, true, path);
    for (const [k, v] of Object.entries(want)) assert.equal((info as any)[k], v, `${method} ${path} ${k}`);
  }
});

test('non-resource requests', () => {
  for (const p of ['/healthz', '/version', '/api', '/apis', '/apis/apps', '/apis/apps/v1', '/api/v1', '/openapi/v3']) {
    const info = parseRequestInfo('GET', p, new URLSearchParams());
    assert.equal(info.isResourceRequest, false, p);
    assert.equal(info.verb, 'get');
  }
});

test('a list or watch pinned by metadata.name carries that name', () => {
  const info = parseRequestInfo('GET', '/api/v1/namespaces/ns/secrets', new URLSearchParams('fieldSelector=metadata.name%3Ds1&watch=true'));
  assert.equal(info.verb, 'watch');
  assert.equal(info.name, 's1');
  const other = parseRequestInfo('GET', '/api/v1/namespaces/ns/secrets', new URLSearchParams('fieldSelector=type%3DOpaque'));
  assert.equal(other.name, '');
  // As upstream's RequiresExactMatch: any term, unescaped; == is =, != pins nothing.
  const name = (fs: string, path = '/api/v1/namespaces/ns/secrets') => parseRequestInfo('GET', path, new URLSearchParams({ fieldSelector: fs })).name;
  assert.equal(name('type=Opaque,metadata.name==s1'), 's1');
  assert.equal(name('metadata.name=a\\,b'), 'a,b');
  assert.equal(name('metadata.name!=s1'), '');
  // Not a valid path segment name, or a selector that does not parse: no name.
  for (const bad of ['metadata.name=..', 'metadata.name=a/b', 'metadata.name=a%2fb', 'metadata.name']) assert.equal(name(bad), '', bad);
  // The /watch/ path form never was a get, so it is not pinned (upstream).
  assert.equal(name('metadata.name=s1', '/api/v1/watch/namespaces/ns/secrets'), '');
});

test('slashes around and inside the path, and the /watch/ and namespace forms, keep their segments', () => {
  const parse = (m: string, p: string) => parseRequestInfo(m, p, new URLSearchParams());
  const a = parse('GET', '//api/v1/namespaces/ns/pods/p/status//');
  assert.deepEqual([a.isResourceRequest, a.namespace, a.resource, a.name, a.subresource, a.parts], [true, 'ns', 'pods', 'p', 'status', ['pods', 'p', 'status']]);
  // An empty segment inside stays a segment (upstream splits on every slash).
  const b = parse('GET', '/api/v1//pods');
  assert.deepEqual([b.isResourceRequest, b.resource, b.name, b.verb, b.parts], [true, '', 'pods', 'get', ['', 'pods']]);
  const c = parse('GET', '/api/v1/watch/namespaces/ns/pods/p');
  assert.deepEqual([c.verb, c.namespace, c.resource, c.name, c.parts], ['watch', 'ns', 'pods', 'p', ['pods', 'p']]);
  const d = parse('PUT', '/api/v1/namespaces/ns/status');
  assert.deepEqual([d.verb, d.namespace, d.resource, d.name, d.subresource, d.parts], ['update', '', 'namespaces', 'ns', 'status', ['namespaces', 'ns', 'status']]);
  const e = parse('GET', '/api/v1/namespaces/ns');
  assert.deepEqual([e.verb, e.namespace, e.resource, e.name], ['get', '', 'namespaces', 'ns']);
  const f = parse('OPTIONS', '/apis/apps/v1/deployments');
  assert.deepEqual([f.isResourceRequest, f.verb, f.apiGroup, f.resource], [true, '', 'apps', 'deployments']);
  for (const p of ['/', '', '///', '/apis/apps/', '/api/v1/']) {
    const g = parse('GET', p);
    assert.deepEqual([g.isResourceRequest, g.verb, g.parts], [false, 'get', []], p);
  }
  assert.equal(parse('GET', '/apis/apps/').apiGroup, 'apps');
});
