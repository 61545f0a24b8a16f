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
