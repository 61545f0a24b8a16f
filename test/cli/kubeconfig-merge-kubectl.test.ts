/**
 * KUBECONFIG with several files: the reader's merge (src/util/kubeconfig.ts loadKubeconfigFiles)
 * checked against real kubectl (client-go's ClientConfigLoadingRules), which resolves the same
 * files with `kubectl config view --minify --flatten`: which context, cluster and user win, the
 * server, tls-server-name, the CA read from the right file's directory, the token, and the message
 * for a file that cannot be loaded. No server is needed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadKubeconfigFiles } from '../../src/util/kubeconfig.ts';
import { kubectlPath, kubectlSkip } from '../helpers/kubectl.ts';

const MINOR = 33;
const skip = kubectlSkip(MINOR);
const CA_A = '-----BEGIN CERTIFICATE-----\nQ0EtQQ==\n-----END CERTIFICATE-----\n';
const CA_B = '-----BEGIN CERTIFICATE-----\nQ0EtQg==\n-----END CERTIFICATE-----\n';
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kc-merge-kubectl-'));
  const file = (p: string, text: string) => {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  };
  // Both files name cluster "c" and user "u", each with a ca.crt of its own beside it.
  file('a/ca.crt', CA_A);
  file('a/config', JSON.stringify({
    clusters: [{ name: 'c', cluster: { server: 'https://a.example:6443', 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'u', user: { token: 'from-a' } }],
    contexts: [{ name: 'only-a', context: { cluster: 'c', user: 'u' } }],
  }));
  file('b/ca.crt', CA_B);
  file('b/token', 'from-b-file\n');
  file('b/config', JSON.stringify({
    'current-context': 'ctx',
    clusters: [{ name: 'c', cluster: { server: 'https://b.example:6443', 'certificate-authority': 'ca.crt', 'tls-server-name': 'only-in-b' } }, { name: 'd', cluster: { server: 'https://d.example', 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'u', user: { token: 'from-b' } }, { name: 'u2', user: { tokenFile: 'token' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }, { name: 'to-d', context: { cluster: 'd', user: 'u2' } }],
  }));
  file('c/config', JSON.stringify({ 'current-context': 'to-d' }));
  file('bad/config', 'clusters: [');
  mkdirSync(join(dir, 'a-directory'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function kubectlView(paths: string[]): { ok: true; doc: any } | { ok: false; error: string } {
  const r = spawnSync(kubectlPath(MINOR), ['config', 'view', '--minify', '--flatten', '-o', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: paths.join(':') }, timeout: 30_000 });
  if (r.status !== 0) return { ok: false, error: r.stderr.trim().replace(/^error: /, '') };
  return { ok: true, doc: JSON.parse(r.stdout) };
}

const orders: Array<[string, string[]]> = [
  ['a missing file, then a, then b', ['missing/config', 'a/config', 'b/config']],
  ['b, then a', ['b/config', 'a/config']],
  ['c (current-context only), then b, then a', ['c/config', 'b/config', 'a/config']],
  ['c, then a, then b', ['c/config', 'a/config', 'b/config']],
  ['a listed twice around b', ['a/config', 'b/config', 'a/config']],
];
for (const [name, rel] of orders) {
  test(`merged as kubectl merges them: ${name}`, { skip }, () => {
    const paths = rel.map((p) => join(dir, p));
    const view = kubectlView(paths);
    assert.ok(view.ok, view.ok ? '' : view.error);
    const want = view.doc;
    const ours = loadKubeconfigFiles(paths);
    const ctx = want.contexts[0];
    const cluster = want.clusters[0].cluster;
    const user = want.users[0]?.user ?? {};
    assert.equal(ours.contextName, want['current-context']);
    assert.equal(ours.clusterName, ctx.context.cluster);
    assert.equal(ours.userName, ctx.context.user);
    assert.equal(ours.server, cluster.server);
    assert.equal(ours.tlsServerName, cluster['tls-server-name']);
    // --flatten read the CA from the directory of the file the cluster came from.
    assert.equal(ours.caPem, Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'));
    if (user.token !== undefined) assert.equal(ours.token, user.token);
    // kubectl prints tokenFile as written; it is relative to the file the user came from (b).
    if (user.tokenFile !== undefined) assert.equal(ours.tokenFile, resolve(dir, 'b', user.tokenFile));
  });
}

test('a file that exists but cannot be loaded: the same "error loading config file" message as kubectl', { skip }, () => {
  for (const bad of ['a-directory', 'bad/config']) {
    const paths = [join(dir, 'a/config'), join(dir, bad)];
    const view = kubectlView(paths);
    assert.ok(!view.ok);
    assert.throws(() => loadKubeconfigFiles(paths), (e: Error) => {
      if (bad === 'a-directory') assert.ok(e.message.endsWith(view.error), `${e.message}\n  kubectl: ${view.error}`);
      // The YAML parsers word a syntax error differently; the prefix naming the file is the same.
      else assert.ok(e.message.includes(`error loading config file "${paths[1]}": `) && view.error.startsWith(`error loading config file "${paths[1]}": `), `${e.message}\n  kubectl: ${view.error}`);
      return true;
    });
  }
});
