import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderKubeconfig, writeKubeconfig } from './kubeconfig.ts';
import { PkiError } from './errors.ts';

const pems = {
  caCertPem: '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n',
  clientCertPem: '-----BEGIN CERTIFICATE-----\nQ0xJRU5U\n-----END CERTIFICATE-----\n',
  clientKeyPem: '-----BEGIN RSA PRIVATE KEY-----\nS0VZ\n-----END RSA PRIVATE KEY-----\n',
};
const fromB64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

test('renders a standard kubeconfig with inline credentials and a current context', () => {
  const cfg = parse(renderKubeconfig({ server: 'https://127.0.0.1:6443', userName: 'admin', ...pems }));
  assert.equal(cfg.apiVersion, 'v1');
  assert.equal(cfg.kind, 'Config');
  assert.equal(cfg['current-context'], 'admin@portcullis');
  assert.deepEqual(cfg.contexts, [{ name: 'admin@portcullis', context: { cluster: 'portcullis', user: 'admin' } }]);
  assert.equal(cfg.clusters.length, 1);
  assert.equal(cfg.clusters[0].name, 'portcullis');
  assert.equal(cfg.clusters[0].cluster.server, 'https://127.0.0.1:6443');
  assert.equal(fromB64(cfg.clusters[0].cluster['certificate-authority-data']), pems.caCertPem);
  assert.equal(cfg.users.length, 1);
  assert.equal(cfg.users[0].name, 'admin');
  assert.equal(fromB64(cfg.users[0].user['client-certificate-data']), pems.clientCertPem);
  assert.equal(fromB64(cfg.users[0].user['client-key-data']), pems.clientKeyPem);
});

test('cluster and context names can be chosen', () => {
  const cfg = parse(renderKubeconfig({ server: 'https://[::1]:6443', userName: 'system:kube-scheduler', clusterName: 'dev', contextName: 'sched', ...pems }));
  assert.equal(cfg['current-context'], 'sched');
  assert.deepEqual(cfg.contexts[0], { name: 'sched', context: { cluster: 'dev', user: 'system:kube-scheduler' } });
  assert.equal(cfg.users[0].name, 'system:kube-scheduler');
});

test('a non-https server is refused', () => {
  const refuses = (server: string) =>
    assert.throws(() => renderKubeconfig({ server, userName: 'admin', ...pems }), (e: unknown) => e instanceof PkiError && e.code === 'InvalidOptions', server);
  refuses('http://127.0.0.1:6443');
  refuses('127.0.0.1:6443');
  refuses('');
});

test('writeKubeconfig writes owner-only, even over a looser existing file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-kubeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'nested', 'admin.conf');
  writeKubeconfig(path, 'first');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  chmodSync(path, 0o644);
  writeKubeconfig(path, 'second');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8'), 'second');
});
