import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeRequestAttributes } from './request-attributes.ts';

test('the kubelet\'s subresources by path, proxy for everything else', () => {
  const sub = (path: string) => nodeRequestAttributes('n1', 'GET', path)?.subresource;
  assert.equal(sub('/stats/summary'), 'stats');
  assert.equal(sub('/stats'), 'stats');
  assert.equal(sub('/statsx'), 'proxy');
  assert.equal(sub('/metrics/cadvisor'), 'metrics');
  assert.equal(sub('/logs/syslog'), 'log');
  assert.equal(sub('/spec/'), 'spec');
  assert.equal(sub('/checkpoint/ns/p/c'), 'checkpoint');
  assert.equal(sub('/containerLogs/ns/p/c'), 'proxy');
  assert.equal(sub('/exec/ns/p/c'), 'proxy');
  assert.equal(sub('/portForward/ns/p'), 'proxy');
});

test('verbs from methods; a method without one gets no attributes (refused before any review)', () => {
  assert.deepEqual(nodeRequestAttributes('n1', 'POST', '/exec/a/b/c'), { verb: 'create', resource: 'nodes', subresource: 'proxy', name: 'n1' });
  assert.equal(nodeRequestAttributes('n1', 'head', '/stats')?.verb, 'get');
  assert.equal(nodeRequestAttributes('n1', 'PUT', '/x')?.verb, 'update');
  assert.equal(nodeRequestAttributes('n1', 'PATCH', '/x')?.verb, 'patch');
  assert.equal(nodeRequestAttributes('n1', 'DELETE', '/x')?.verb, 'delete');
  assert.equal(nodeRequestAttributes('n1', 'OPTIONS', '/x'), undefined);
  assert.equal(nodeRequestAttributes('n1', 'CONNECT', '/x'), undefined);
});
