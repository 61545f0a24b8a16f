import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_SERVER_BOOLEANS, API_SERVER_FLAGS, apiServerFromFlags, runApiServer } from './apiserver.ts';
import { parseCommand } from './args.ts';

const parse = (argv: string[]) => parseCommand(argv, { name: 'apiserver', booleans: [...API_SERVER_BOOLEANS], flags: [...API_SERVER_FLAGS] });

test('portcullis apiserver refuses to start without --etcd-servers, before touching the data directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-cli-'));
  try {
    await assert.rejects(runApiServer(['--data-dir', join(dir, 'd'), '--port', '0'], () => {}), /--etcd-servers is required/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the API server flags: port, etcd and admission settings as startControlPlane options', () => {
  const o = apiServerFromFlags(parse(['--port', '6444', '--etcd-servers', 'http://127.0.0.1:2379,http://127.0.0.2:2379', '--etcd-prefix', '/other', '--enable-admission-plugins', 'AlwaysPullImages']));
  assert.equal(o.port, 6444);
  assert.equal(o.bindAddress, '127.0.0.1');
  assert.equal(o.etcd?.prefix, '/other');
  assert.equal(o.etcd?.servers.length, 2);
  assert.deepEqual(o.admission.enable, ['AlwaysPullImages']);
  assert.throws(() => apiServerFromFlags(parse(['--port', '70000'])), /invalid --port: 70000/);
  assert.throws(() => apiServerFromFlags(parse(['--etcd-prefix', '/x'])), /--etcd-prefix needs --etcd-servers/);
});

test('--encryption-provider-config-automatic-reload: the file is watched, and the flag needs the file (upstream\'s message)', () => {
  assert.throws(() => apiServerFromFlags(parse(['--encryption-provider-config-automatic-reload'])), /^Error: --encryption-provider-config-automatic-reload must be set with --encryption-provider-config$/);
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-cli-'));
  try {
    const file = join(dir, 'enc.yaml');
    writeFileSync(file, 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n');
    assert.deepEqual(apiServerFromFlags(parse(['--encryption-provider-config', file, '--encryption-provider-config-automatic-reload'])).encryptionReload, { path: file });
    assert.equal(apiServerFromFlags(parse(['--encryption-provider-config', file])).encryptionReload, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--event-ttl: a Go duration in whole seconds (default 1h; under a second is none, as upstream\'s uint64(Seconds())), never negative', () => {
  assert.equal(apiServerFromFlags(parse([])).eventTtlSeconds, 3600);
  assert.equal(apiServerFromFlags(parse(['--event-ttl', '1h30m'])).eventTtlSeconds, 5400);
  assert.equal(apiServerFromFlags(parse(['--event-ttl', '2.9s'])).eventTtlSeconds, 2);
  assert.equal(apiServerFromFlags(parse(['--event-ttl', '500ms'])).eventTtlSeconds, 0);
  assert.throws(() => apiServerFromFlags(parse(['--event-ttl', '-1s'])), /invalid argument "-1s" for "--event-ttl" flag: must not be negative/);
  assert.throws(() => apiServerFromFlags(parse(['--event-ttl', '1d'])), /invalid argument "1d" for "--event-ttl" flag: time: unknown unit "d"/);
});

test('--allow-privileged: false unless given (kube-apiserver\'s default), for apiserver and up alike; a strict boolean', () => {
  assert.equal(apiServerFromFlags(parse([])).allowPrivileged, false);
  assert.equal(apiServerFromFlags(parse(['--allow-privileged'])).allowPrivileged, true);
  assert.equal(apiServerFromFlags(parse(['--allow-privileged', 'false'])).allowPrivileged, false);
  assert.equal(apiServerFromFlags(parse(['--allow-privileged=true'])).allowPrivileged, true);
  assert.throws(() => parse(['--allow-privileged=yes']), /invalid argument "yes" for "--allow-privileged" flag: strconv.ParseBool/);
  // `portcullis up` parses the API server's booleans (API_SERVER_BOOLEANS), so it takes the flag too.
  assert.ok((API_SERVER_BOOLEANS as readonly string[]).includes('allow-privileged'));
});
