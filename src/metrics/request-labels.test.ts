import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestInfo } from '../server/request-info.ts';
import { cleanDryRun, requestLabels } from './request-labels.ts';

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
