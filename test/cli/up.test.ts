import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnUp } from '../helpers/spawn-up.ts';

test('portcullis up: PKI and kubeconfig on first start, reused with the data on the second', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-up-'));
  try {
    const first = await spawnUp(dir);
    const ca1 = readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8');
    assert.equal(statSync(join(dir, 'pki', 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'admin.kubeconfig')).mode & 0o777, 0o600);
    const v = await first.client.get('/version');
    assert.equal(v.status, 200);
    assert.equal(v.body.major, '1');
    const mk = await first.client.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'persisted' }, data: { a: '1' } });
    assert.equal(mk.status, 201, mk.text);
    first.client.close();
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const second = await spawnUp(dir);
    assert.equal(readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'), ca1);
    const g = await second.client.get('/api/v1/namespaces/default/configmaps/persisted');
    assert.equal(g.status, 200);
    assert.deepEqual(g.body.data, { a: '1' });
    second.client.close();
    second.child.kill('SIGTERM');
    await second.exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('portcullis rejects unknown commands and flags', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');
  const r1 = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r1.status, 2);
  assert.match(r1.stderr, /unknown command "frobnicate"/);
  const r2 = spawnSync(process.execPath, [bin, 'up', '--bogus', '1'], { encoding: 'utf8' });
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /unknown flag: --bogus/);
  const r3 = spawnSync(process.execPath, [bin, 'up', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'pc-noplugin-')), '--enable-admission-plugins', 'NoSuchPlugin'], { encoding: 'utf8' });
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /unknown admission plugins: NoSuchPlugin/);
});

test('portcullis kubeconfig mints an identity the server authenticates', async () => {
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const { clientFromKubeconfig } = await import('../helpers/spawn-up.ts');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-kc-'));
  let srv: Awaited<ReturnType<typeof spawnUp>> | undefined;
  try {
    srv = await spawnUp(dir);
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');
    const r = spawnSync(process.execPath, [bin, 'kubeconfig', '--user', 'carol', '--group', 'dev', '--group', 'ops', '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /current-context: carol@portcullis/);
    writeFileSync(join(dir, 'carol.kubeconfig'), r.stdout);
    const carol = clientFromKubeconfig(join(dir, 'carol.kubeconfig'));
    try {
      // system:basic-user lets every authenticated user ask who they are.
      const who = await carol.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
      assert.equal(who.status, 201, who.text);
      assert.equal(who.body.status.userInfo.username, 'carol');
      assert.deepEqual(who.body.status.userInfo.groups, ['dev', 'ops', 'system:authenticated']);
      const pods = await carol.get('/api/v1/namespaces/default/pods');
      assert.equal(pods.status, 403);
    } finally {
      carol.close();
    }
    const none = spawnSync(process.execPath, [bin, 'kubeconfig', '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /--user is required/);
  } finally {
    srv?.client.close();
    srv?.child.kill('SIGTERM');
    await srv?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('portcullis up --anonymous-auth false keeps anonymous access off (the word is the flag\'s value, not a stray argument)', async () => {
  const { TestClient } = await import('../helpers/client.ts');
  const anonymousStatus = async (extra: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-anon-'));
    const srv = await spawnUp(dir, extra);
    const anon = new TestClient(srv.url, { caPem: readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8') });
    try {
      return (await anon.get('/version')).status;
    } finally {
      anon.close();
      srv.client.close();
      srv.child.kill('SIGTERM');
      await srv.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  assert.equal(await anonymousStatus(['--anonymous-auth', 'false', '--enable-bootstrap-token-auth', 'false']), 401);
  // The same request is let in when anonymous access is really on, so the 401 above means "off".
  assert.equal(await anonymousStatus(['--anonymous-auth', 'true']), 200);
});

test('portcullis refuses stray arguments, bad booleans and bad durations before starting', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');
  const dir = mkdtempSync(join(tmpdir(), 'pc-args-'));
  try {
    const cases: [string[], RegExp][] = [
      [['up', 'false'], /portcullis up: "portcullis up" takes no arguments, got "false"/],
      [['up', '--anonymous-auth=maybe'], /invalid argument "maybe" for "--anonymous-auth" flag/],
      [['up', '--anonymous-auth', 'maybe'], /takes no arguments, got "maybe"/],
      [['up', '--authorization-webhook-cache-authorized-ttl', '5'], /missing unit in duration "5"/],
      [['up', '--service-account-max-token-expiration', '1d'], /unknown unit "d"/],
      [['agent', '--eviction-pressure-transition-period', '5'], /invalid argument "5" for "--eviction-pressure-transition-period" flag: .*missing unit in duration "5"/],
      [['agent', '--eviction-soft', 'memory.available<1Gi'], /invalid eviction thresholds .*: grace period must be specified for the soft eviction threshold memory.available/],
      [['agent', '--eviction-hard', 'memory.available<0'], /eviction threshold memory.available must be positive: 0/],
      [['agent', '--eviction-minimum-reclaim', 'memory.available=-1Mi'], /negative eviction minimum reclaim specified for memory.available/],
      [['agent', '--eviction-soft-grace-period', 'memory.available:1m'], /invalid --eviction-soft-grace-period: malformed pair, expect string=string/],
      [['agent', '--minimum-image-ttl-duration', '2x'], /invalid argument "2x" for "--minimum-image-ttl-duration" flag/],
      [['agent', '--allowed-unsafe-sysctls', 'net.core.somaxconn,vm.overcommit_memory'], /the sysctl "vm.overcommit_memory" are not known to be namespaced/],
      [['agent', '--allowed-unsafe-sysctls', 'kernel.*'], /the sysctls "kernel.\*" are not known to be namespaced/],
      [['agent', '--eviction-max-pod-grace-period', '30s'], /invalid argument "30s" for "--eviction-max-pod-grace-period" flag: strconv.ParseInt: parsing "30s": invalid syntax/],
      [['agent', '--image-pull-credentials-verification-policy', 'Sometimes'], /invalid argument "Sometimes" for "--image-pull-credentials-verification-policy" flag: unknown image pull credential verification policy/],
      [['agent', '--image-max-uncompressed-size', 'big'], /invalid argument "big" for "--image-max-uncompressed-size" flag/],
      [['agent', '--system-reserved', 'gpu=1'], /invalid --system-reserved: cannot reserve "gpu" resource/],
      [['agent', '--kube-reserved', 'memory=-1Gi'], /invalid --kube-reserved: resource quantity for "memory" cannot be negative: -1Gi/],
      [['agent', '--enforce-node-allocatable', 'pods,kube-reserved'], /kubeReservedCgroup \(--kube-reserved-cgroup\) must be specified when "kube-reserved" contained in enforceNodeAllocatable/],
      [['agent', '--enforce-node-allocatable', 'none,pods'], /may not contain additional enforcements when "none" is specified/],
      [['kubeconfig', '--user', 'u', 'extra'], /"portcullis kubeconfig" takes no arguments, got "extra"/],
      [['who-can', 'get', 'pods', 'p', 'q'], /takes at most 3 arguments; unexpected "q"/],
    ];
    for (const [argv, want] of cases) {
      const r = spawnSync(process.execPath, [bin, ...argv, '--data-dir', dir, ...(argv[0] === 'up' ? ['--port', '0'] : [])], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want, argv.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
