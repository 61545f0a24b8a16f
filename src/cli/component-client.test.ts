import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommand } from './args.ts';
import { clientConfigFromKubeconfig, kubeconfigFlag } from './component-client.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const args = (...argv: string[]) => parseCommand(argv, { name: 'test', flags: ['kubeconfig'] });

test('--kubeconfig is one file (even with ":" in it); else KUBECONFIG is a list; neither is an error', () => {
  assert.equal(kubeconfigFlag(args('--kubeconfig', '/a:/b'), undefined, { KUBECONFIG: '/c' }), '/a:/b');
  assert.deepEqual(kubeconfigFlag(args(), undefined, { KUBECONFIG: '/c::/d:/c' }), ['/c', '/d']);
  assert.throws(() => kubeconfigFlag(args(), undefined, { KUBECONFIG: '' }), /^Error: --kubeconfig is required$/);
  assert.throws(() => kubeconfigFlag(args(), 'needs a kubeconfig', { KUBECONFIG: ':' }), /^Error: needs a kubeconfig$/);
});

test('a KUBECONFIG list is merged: cluster from one file, user with a tokenFile beside another; the file goes to the identity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'component-kc-'));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'ca.crt'), CA);
  writeFileSync(join(dir, 'a', 'config'), JSON.stringify({ 'current-context': 'x', clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': 'ca.crt' } }] }));
  writeFileSync(join(dir, 'b', 'token'), 'tok\n');
  writeFileSync(join(dir, 'b', 'config'), JSON.stringify({ users: [{ name: 'u', user: { tokenFile: 'token' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }] }));
  const list = kubeconfigFlag(args(), undefined, { KUBECONFIG: [join(dir, 'missing'), join(dir, 'a', 'config'), join(dir, 'b', 'config')].join(':') });
  const config = clientConfigFromKubeconfig(list);
  assert.equal(config.server, 'https://127.0.0.1:6443');
  assert.equal(config.identity.caPem, CA);
  assert.equal(config.identity.token, 'tok');
  assert.equal(config.identity.tokenFile, join(dir, 'b', 'token'));
  // Messages name the list; a single path keeps the single-file form.
  writeFileSync(join(dir, 'b', 'config'), JSON.stringify({ users: [{ name: 'u', user: {} }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }] }));
  assert.throws(() => clientConfigFromKubeconfig(list), (e: Error) => e.message === `KUBECONFIG '${(list as string[]).join(':')}': the user has neither a client certificate nor a token`);
});
