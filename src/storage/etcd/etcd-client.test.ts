import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEtcdClient, parseEtcdServers } from './etcd-client.ts';

test('--etcd-servers: comma-separated http(s) URLs of one scheme', () => {
  assert.deepEqual(parseEtcdServers('http://127.0.0.1:2379, http://127.0.0.2:2379'), ['http://127.0.0.1:2379', 'http://127.0.0.2:2379']);
  for (const [bad, why] of [
    ['', /no server/],
    ['127.0.0.1:2379', /scheme|not a URL/],
    ['unix:///run/etcd.sock', /scheme/],
    ['http://a:2379/v3', /no path/],
    ['http://a:2379,https://b:2379', /mixing/],
  ] as const) {
    assert.throws(() => parseEtcdServers(bad), why, bad);
  }
});

test('TLS flags are checked when the client is built', () => {
  assert.throws(() => createEtcdClient({ servers: ['https://a:2379'], certFile: '/x' }), /go together/);
  assert.throws(() => createEtcdClient({ servers: ['https://a:2379'], certFile: '/x', keyFile: '/y' }), /needs --etcd-cafile/);
  assert.throws(() => createEtcdClient({ servers: ['http://a:2379'], caFile: '/x' }), /need https/);
  assert.throws(() => createEtcdClient({ servers: ['https://a:2379'], caFile: '/nonexistent/ca.pem' }), /ENOENT/);
  createEtcdClient({ servers: ['http://127.0.0.1:1'] }).close();
});
