import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestInfo } from '../server/request-info.ts';
import { cleanDryRun, rawLabelKey, requestLabels } from './request-labels.ts';

function labels(method: string, url: string, contentType?: string, known = true) {
  const [path, q = ''] = url.split('?');
  const query = new URLSearchParams(q);
  return requestLabels(method, parseRequestInfo(method, path!, query), query, contentType, known);
}

test('verbs and scopes as upstream reports them (CanonicalVerb, CleanVerb, CleanScope)', () => {
  const cases: Array<[string, string, string | undefined, string, string]> = [
    ['GET', '/api/v1/namespaces/default/pods', undefined, 'LIST', 'namespace'],
    ['GET', '/api/v1/pods', undefined, 'LIST', 'cluster'],
    ['GET', '/api/v1/namespaces/default/pods/p', undefined, 'GET', 'resource'],
    ['GET', '/api/v1/namespaces/default/pods?watch=true', undefined, 'WATCH', 'namespace'],
    ['POST', '/api/v1/namespaces/default/pods', undefined, 'POST', 'resource'],
    ['PATCH', '/api/v1/namespaces/default/pods/p', 'application/apply-patch+yaml', 'APPLY', 'resource'],
    ['PATCH', '/api/v1/namespaces/default/pods/p', 'application/merge-patch+json', 'PATCH', 'resource'],
    ['POST', '/api/v1/namespaces/default/pods/p/exec', undefined, 'CONNECT', 'resource'],
    ['DELETE', '/api/v1/namespaces/default/pods', undefined, 'DELETE', 'namespace'],
    ['GET', '/healthz', undefined, 'GET', ''],
    ['OPTIONS', '/api/v1/pods', undefined, 'other', 'cluster'],
  ];
  for (const [method, url, ct, verb, scope] of cases) {
    const l = labels(method, url, ct);
    assert.equal(l.verb, verb, `${method} ${url}`);
    assert.equal(l.scope, scope, `${method} ${url}`);
  }
});

test('labels a client could make up are reported empty', () => {
  assert.equal(labels('GET', '/healthz').subresource, '/healthz');
  assert.equal(labels('GET', '/made/up/path').subresource, '');
  const unknown = labels('GET', '/apis/made.up/v1/things', undefined, false);
  assert.deepEqual([unknown.group, unknown.version, unknown.resource], ['', '', '']);
});

test('dry_run is "", "All" or "invalid", as cleanDryRun', () => {
  assert.equal(cleanDryRun(new URLSearchParams('')), '');
  assert.equal(cleanDryRun(new URLSearchParams('dryRun=All&dryRun=All')), 'All');
  assert.equal(cleanDryRun(new URLSearchParams('dryRun=Nope')), 'invalid');
});

test('requests with the same raw label key get the same labels (the key covers all that requestLabels reads)', () => {
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  const paths = ['/api/v1/pods', '/api/v1/namespaces/a/pods', '/api/v1/namespaces/b/pods/p', '/api/v1/namespaces/a/pods/q/status', '/api/v1/namespaces/a/pods/p/exec', '/api/v1/watch/namespaces/a/pods', '/api/v1/namespaces/a', '/api/v1/namespaces/a/status', '/apis/apps/v1/namespaces/a/deployments/d/scale'];
  const queries = ['', 'watch=true', 'watch=false', 'fieldSelector=metadata.name%3Dp', 'dryRun=All', 'dryRun=x&dryRun=All'];
  const types = [undefined, 'application/json', 'application/apply-patch+yaml', 'application/apply-patch+cbor; charset=x', 'application/merge-patch+json'];
  const seen = new Map<string, string>();
  let keyed = 0;
  for (const method of methods) for (const path of paths) for (const q of queries) for (const ct of types) {
    const query = new URLSearchParams(q);
    const info = parseRequestInfo(method, path, query);
    const key = rawLabelKey(method, info, query, ct, 200);
    if (q.startsWith('dryRun')) assert.equal(key, undefined);
    if (key === undefined) continue;
    keyed++;
    const got = JSON.stringify(requestLabels(method, info, query, ct, true));
    const before = seen.get(key);
    if (before === undefined) seen.set(key, got);
    else assert.equal(got, before, `${method} ${path}?${q} ${ct}`);
  }
  assert.ok(keyed > 1000 && seen.size > 50, `${keyed} keyed, ${seen.size} keys`);
  assert.equal(rawLabelKey('GET', parseRequestInfo('GET', '/healthz', new URLSearchParams()), new URLSearchParams(), undefined, 200), undefined, 'non-resource paths are not keyed');
});
