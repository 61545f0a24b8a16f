import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeconfigPathList, loadKubeconfig, loadKubeconfigFiles } from './kubeconfig.ts';

const CA = '-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n';
// Stand-ins for secrets: no error may contain them.
const KEY = '-----BEGIN PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n';
const TOKEN = 'secret-token-value';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
  mkdirSync(join(dir, 'sub', 'pki'), { recursive: true });
  writeFileSync(join(dir, 'sub', 'pki', 'ca.crt'), CA);
  writeFileSync(join(dir, 'sub', 'pki', 'client.crt'), CERT);
  writeFileSync(join(dir, 'sub', 'pki', 'client.key'), KEY);
  writeFileSync(join(dir, 'sub', 'pki', 'token'), `  ${TOKEN}\n`);
  writeFileSync(join(dir, 'sub', 'pki', 'empty-token'), '\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Parts {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  context?: Record<string, unknown>;
  current?: string | null;
  extra?: Record<string, unknown>;
}

/** Writes a kubeconfig in dir/sub (so relative paths must resolve against it, not the cwd). */
function write(p: Parts = {}): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'decoy', cluster: { server: 'https://decoy.example:1' } },
      { name: 'main', cluster: { server: 'https://api.example:6443/base', 'certificate-authority-data': b64(CA), ...p.cluster } },
    ],
    users: [
      { name: 'decoy', user: { token: 'decoy' } },
      { name: 'me', user: p.user ?? { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } },
    ],
    contexts: [
      { name: 'first', context: { cluster: 'decoy', user: 'decoy' } },
      { name: 'ctx', context: { cluster: 'main', user: 'me', ...p.context } },
    ],
    ...(p.current === null ? {} : { 'current-context': p.current ?? 'ctx' }),
    ...p.extra,
  };
  const path = join(dir, 'sub', `kc-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, JSON.stringify(doc)); // JSON is YAML
  return path;
}

function refused(path: string, re: RegExp): void {
  assert.throws(() => loadKubeconfig(path, 'webhook config'), (e: Error) => {
    assert.match(e.message, re);
    assert.ok(e.message.startsWith(`webhook config '${path}': `), e.message);
    for (const secret of [TOKEN, 'SECRET-KEY-MATERIAL', b64(KEY)]) assert.ok(!e.message.includes(secret), `secret in: ${e.message}`);
    return true;
  });
}

test('the current context, not the first one, with inline (-data) material', () => {
  const k = loadKubeconfig(write());
  assert.equal(k.server, 'https://api.example:6443/base');
  assert.equal(k.url.pathname, '/base');
  assert.deepEqual([k.contextName, k.clusterName, k.userName], ['ctx', 'main', 'me']);
  assert.equal(k.caPem, CA);
  assert.equal(k.certPem, CERT);
  assert.equal(k.keyPem, KEY);
  assert.equal(k.token, undefined);
  assert.equal(k.tlsServerName, undefined);
});

test('file forms are read relative to the kubeconfig, not the working directory', () => {
  const k = loadKubeconfig(write({
    cluster: { 'certificate-authority-data': undefined, 'certificate-authority': 'pki/ca.crt', 'tls-server-name': 'api.internal', 'insecure-skip-tls-verify': false },
    user: { 'client-certificate': 'pki/client.crt', 'client-key': join(dir, 'sub', 'pki', 'client.key') },
  }));
  assert.equal(k.caPem, CA);
  assert.equal(k.certPem, CERT);
  assert.equal(k.keyPem, KEY);
  assert.equal(k.tlsServerName, 'api.internal');
});

test('token, tokenFile (trimmed, relative) and token winning over tokenFile', () => {
  assert.equal(loadKubeconfig(write({ user: { token: TOKEN } })).token, TOKEN);
  assert.equal(loadKubeconfig(write({ user: { tokenFile: 'pki/token' } })).token, TOKEN);
  assert.equal(loadKubeconfig(write({ user: { token: 'inline', tokenFile: 'pki/token' } })).token, 'inline');
  // The file's absolute path goes along, for the clients that re-read it (the shared transport).
  assert.equal(loadKubeconfig(write({ user: { token: 'inline', tokenFile: 'pki/token' } })).tokenFile, join(dir, 'sub', 'pki', 'token'));
  assert.equal(loadKubeconfig(write({ user: { token: TOKEN } })).tokenFile, undefined);
  const both = loadKubeconfig(write({ user: { token: TOKEN, 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key' } }));
  assert.equal(both.token, TOKEN);
  assert.equal(both.certPem, CERT);
});

test('a context without a user: no credentials; a cluster without CA: system roots', () => {
  const k = loadKubeconfig(write({ context: { user: undefined }, cluster: { 'certificate-authority-data': undefined } }));
  assert.equal(k.userName, '');
  assert.equal(k.caPem, undefined);
  assert.equal(k.certPem, undefined);
  assert.equal(k.token, undefined);
});

test('context, cluster and user errors are upstream validation.go messages', () => {
  refused(write({ current: null }), /: invalid configuration: no context chosen$/);
  refused(write({ current: 'nope' }), /: invalid configuration: context was not found for specified context: nope$/);
  refused(write({ context: { cluster: 'gone' } }), /invalid configuration: cluster "gone" was not found for context "ctx"$/);
  refused(write({ context: { cluster: undefined } }), /invalid configuration: cluster was not specified for context "ctx"$/);
  refused(write({ context: { user: 'gone' } }), /invalid configuration: user "gone" was not found for context "ctx"$/);
  refused(write({ cluster: { server: undefined } }), /invalid configuration: no server found for cluster "main"$/);
});

test('both -data and file forms, and half a client certificate, are refused', () => {
  refused(write({ cluster: { 'certificate-authority': 'pki/ca.crt' } }), /certificate-authority-data and certificate-authority are both specified for main\. certificate-authority-data will override\./);
  refused(write({ user: { 'client-certificate': 'pki/client.crt', 'client-certificate-data': b64(CERT), 'client-key': 'pki/client.key' } }), /client-cert-data and client-cert are both specified for me\./);
  refused(write({ user: { 'client-certificate': 'pki/client.crt', 'client-key': 'pki/client.key', 'client-key-data': b64(KEY) } }), /client-key-data and client-key are both specified for me; client-key-data will override$/);
  refused(write({ user: { 'client-certificate': 'pki/client.crt' } }), /client-key-data or client-key must be specified for me to use the clientCert authentication method\.$/);
  refused(write({ user: { 'client-key-data': b64(KEY) } }), /client-certificate-data or client-certificate must be specified for me/);
});

test('files that cannot be read name the resolved file and the reason, as client-go', () => {
  refused(write({ cluster: { 'certificate-authority-data': undefined, 'certificate-authority': 'pki/none.crt' } }), /unable to read certificate-authority \/\S+\/sub\/pki\/none\.crt for main due to open \/\S+\/sub\/pki\/none\.crt: no such file or directory$/);
  refused(write({ user: { 'client-certificate': 'pki/client.crt', 'client-key': 'none.key' } }), /unable to read client-key \/\S+\/sub\/none\.key for me due to open \/\S+\/sub\/none\.key: no such file or directory$/);
  refused(write({ user: { tokenFile: 'none' } }), /: open \/\S+\/sub\/none: no such file or directory$/);
  refused(write({ user: { tokenFile: 'pki/empty-token' } }), /read empty token from file "\/\S+\/sub\/pki\/empty-token"$/);
  refused(join(dir, 'missing.yaml'), /: open .*missing\.yaml: no such file or directory$/);
});

test('TLS rules: https only, CA must be PEM, insecure-skip-tls-verify refused', () => {
  refused(write({ cluster: { server: 'http://api.example:8080' } }), /the server of cluster "main" must be https, not http:/);
  refused(write({ cluster: { server: 'not a url' } }), /the server of cluster "main" is not a URL$/);
  refused(write({ cluster: { 'certificate-authority-data': b64('hello') } }), /unable to parse bytes as PEM block/);
  refused(write({ cluster: { 'insecure-skip-tls-verify': true } }), /specifying a root certificates file with the insecure flag is not allowed/);
  refused(write({ cluster: { 'insecure-skip-tls-verify': true, 'certificate-authority-data': undefined } }), /insecure-skip-tls-verify of cluster "main" is not supported/);
});

test('unsupported fields are refused by name; malformed files and base64 never quote secrets', () => {
  refused(write({ user: { exec: { command: 'x' } } }), /user "me": field 'exec' is not supported$/);
  refused(write({ user: { username: 'a', password: TOKEN } }), /user "me": field 'username' is not supported$/);
  refused(write({ cluster: { 'proxy-url': 'https://proxy' } }), /cluster "main": field 'proxy-url' is not supported$/);
  refused(write({ context: { namespace: 'default', bogus: 1 } }), /context "ctx": field 'bogus' is not supported$/);
  refused(write({ user: { 'client-certificate-data': b64(CERT), 'client-key-data': `${TOKEN}!` } }), /client-key-data of me: illegal base64 data$/);
  refused(write({ extra: { users: [{ name: 'me', user: { token: TOKEN } }, { name: 'me', user: { token: TOKEN } }] } }), /duplicate name "me" in users$/);
  const yaml = join(dir, 'broken.yaml');
  writeFileSync(yaml, `users:\n- name: me\n  user:\n    token: ${TOKEN}\n   bad: [\n`);
  refused(yaml, /^webhook config '.*': yaml: line \d+: /);
  const scalar = join(dir, 'scalar.yaml');
  writeFileSync(scalar, `${TOKEN}\n`);
  refused(scalar, /not a kubeconfig/);
});

/** Writes a kubeconfig (JSON is YAML) in its own directory under dir, with side files beside it. */
function writeIn(sub: string, doc: Record<string, unknown>, files: Record<string, string> = {}): string {
  mkdirSync(join(dir, sub), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, sub, name), text);
  const path = join(dir, sub, 'config');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

test('KUBECONFIG list: split on ":", empty entries dropped, each path once (first place kept)', () => {
  assert.deepEqual(kubeconfigPathList(''), []);
  assert.deepEqual(kubeconfigPathList('::'), []);
  assert.deepEqual(kubeconfigPathList('/a::/b:/a:/c'), ['/a', '/b', '/c']);
});

test('merged files: the first file to name a cluster, user or context wins it whole; current-context is the first set', () => {
  const a = writeIn('merge-a', {
    clusters: [{ name: 'c', cluster: { server: 'https://a.example', 'certificate-authority-data': b64(CA) } }],
    users: [{ name: 'u', user: { token: 'from-a' } }],
  });
  const b = writeIn('merge-b', {
    'current-context': 'ctx',
    clusters: [{ name: 'c', cluster: { server: 'https://b.example', 'tls-server-name': 'only-in-b' } }],
    users: [{ name: 'u', user: { token: 'from-b' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }, { name: 'other', context: { cluster: 'c' } }],
  });
  const ab = loadKubeconfigFiles([a, b]);
  assert.equal(ab.server, 'https://a.example');
  assert.equal(ab.token, 'from-a');
  assert.equal(ab.caPem, CA);
  // B's cluster "c" is discarded whole: its tls-server-name does not fill the field A's lacks.
  assert.equal(ab.tlsServerName, undefined);
  assert.equal(ab.contextName, 'ctx');
  const ba = loadKubeconfigFiles([b, a]);
  assert.equal(ba.server, 'https://b.example');
  assert.equal(ba.token, 'from-b');
  assert.equal(ba.tlsServerName, 'only-in-b');
  assert.equal(ba.caPem, undefined);
  // current-context: the first file that sets one, even when a later file sets another.
  const c = writeIn('merge-c', { 'current-context': 'other' });
  assert.equal(loadKubeconfigFiles([c, b]).contextName, 'other');
  assert.equal(loadKubeconfigFiles([b, c]).contextName, 'ctx');
});

test('merged files: relative paths resolve against the file each entry came from', () => {
  const a = writeIn('rel-a', { clusters: [{ name: 'c', cluster: { server: 'https://a.example', 'certificate-authority': 'ca.crt' } }] }, { 'ca.crt': CA });
  const b = writeIn('rel-b', {
    'current-context': 'ctx',
    users: [{ name: 'u', user: { tokenFile: 'token', 'client-certificate': 'client.crt', 'client-key': 'client.key' } }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
  }, { token: `${TOKEN}\n`, 'client.crt': CERT, 'client.key': KEY });
  // ca.crt is only beside A and the user's files only beside B: one base directory for all would fail.
  const kc = loadKubeconfigFiles([a, b]);
  assert.equal(kc.caPem, CA);
  assert.equal(kc.certPem, CERT);
  assert.equal(kc.keyPem, KEY);
  assert.equal(kc.token, TOKEN);
  assert.equal(kc.tokenFile, join(dir, 'rel-b', 'token'));
});

test('merged files: missing files are skipped; none found (or KUBECONFIG empty of paths) is no configuration', () => {
  const full = write();
  const gone = join(dir, 'no-such', 'config');
  assert.equal(loadKubeconfigFiles([gone, full, join(dir, 'gone-too')]).contextName, 'ctx');
  assert.throws(() => loadKubeconfigFiles([gone]), (e: Error) => e.message === `KUBECONFIG '${gone}': invalid configuration: no configuration has been provided (Config not found: ${gone})`);
  assert.throws(() => loadKubeconfigFiles([]), /^Error: KUBECONFIG '': invalid configuration: no configuration has been provided$/);
  const empty = writeIn('empty', {});
  writeFileSync(empty, '');
  assert.throws(() => loadKubeconfigFiles([empty, gone]), /no configuration has been provided \(Config not found: /);
  // Found but incomplete is the single-file messages, prefixed by the list.
  const noCurrent = writeIn('no-current', { clusters: [{ name: 'c', cluster: { server: 'https://x.example' } }] });
  assert.throws(() => loadKubeconfigFiles([noCurrent, gone], 'KUBECONFIG'), (e: Error) => e.message === `KUBECONFIG '${noCurrent}:${gone}': invalid configuration: no context chosen`);
});

test('merged files: a file that exists but cannot be read or parsed fails the load, naming it', () => {
  const full = write();
  const broken = writeIn('broken', {});
  writeFileSync(broken, `token: ${TOKEN}\n  : [`);
  assert.throws(() => loadKubeconfigFiles([full, broken]), (e: Error) => {
    assert.match(e.message, new RegExp(`^KUBECONFIG '.*': error loading config file "${broken}": `));
    assert.ok(!e.message.includes(TOKEN), e.message);
    return true;
  });
  assert.throws(() => loadKubeconfigFiles([join(dir, 'sub'), full]), /error loading config file ".*\/sub": read .*\/sub: is a directory$/);
  const notMap = writeIn('list', {});
  writeFileSync(notMap, '[1, 2]');
  assert.throws(() => loadKubeconfigFiles([notMap]), /error loading config file ".*": not a kubeconfig: the document is not a mapping/);
});
