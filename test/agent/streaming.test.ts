/**
 * kubectl logs / exec / port-forward through the API server to a node agent's streaming server
 * (fake runtime): the API server authenticates and authorizes the user, then reaches the agent
 * with its own kubelet-client certificate; the agent checks that certificate against the cluster
 * CA and asks a SubjectAccessReview for nodes/proxy before serving anything.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect as connectTcp, createServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'node:https';
import { WebSocket } from 'ws';
import { issueCert } from '../../src/pki/certs.ts';
import { createCA } from '../../src/pki/ca.ts';
import { kubectlPath, kubectlSkip, runKubectl, startPortForward } from '../helpers/kubectl.ts';
import { criLine, NODE, startStreamingCluster, type StreamingCluster } from './streaming-helpers.ts';

const skip = kubectlSkip(33);

describe('streaming through the API server to the node agent', { skip }, () => {
  let s: StreamingCluster;
  let admin: string;
  let echo: Server;
  let app: { log: string; id: string };
  const pod = { name: 'web', uid: '' };

  before(async () => {
    s = await startStreamingCluster();
    admin = s.kubeconfig('admin');
    const created = await s.c.admin.req('POST', '/api/v1/namespaces/default/pods', {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'busybox' }, { name: 'side', image: 'busybox' }] } },
    });
    assert.equal(created.status, 201, created.text);
    pod.uid = created.body.metadata.uid;
    // attempt 0 ran and exited; attempt 1 runs now.
    const first = await s.startContainer(pod, 'app', 0, [criLine('2026-01-01T00:00:00.5Z', 'stdout', 'first life')]);
    s.runtime.exitContainer(first.id, 1);
    const cur = await s.startContainer(pod, 'app', 1, ['one', 'two', 'three'].map((t, i) => criLine(`2026-01-01T00:00:0${i + 1}.123456789Z`, i === 1 ? 'stderr' : 'stdout', t)));
    app = { log: cur.log, id: cur.id };
    await s.startContainer(pod, 'side', 0, [criLine('2026-01-01T00:00:01Z', 'stdout', 'sidecar line')]);
    echo = createServer((c) => c.pipe(c)).listen(0, '127.0.0.1');
    await new Promise((r) => echo.once('listening', r));
  });
  after(async () => {
    echo?.close();
    await s?.close();
  });

  test('kubectl logs: -c, --tail, --timestamps, --previous, and the container choice', async () => {
    let r = await runKubectl(33, admin, ['logs', 'web', '-c', 'app']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'one\ntwo\nthree\n');
    r = await runKubectl(33, admin, ['logs', 'web', '-c', 'app', '--tail=1', '--timestamps']);
    assert.equal(r.stdout, '2026-01-01T00:00:03.123456789Z three\n');
    r = await runKubectl(33, admin, ['logs', 'web', '-c', 'app', '--previous']);
    assert.equal(r.stdout, 'first life\n');
    r = await runKubectl(33, admin, ['logs', 'web', '-c', 'side', '--previous']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(BadRequest\): previous terminated container "side" in pod "web" not found/);
    // Two containers and none named: the API server says which to choose (kubectl picks the
    // default-container annotation or the first; the raw request shows upstream's message).
    const raw = await s.c.admin.req('GET', '/api/v1/namespaces/default/pods/web/log');
    assert.equal(raw.status, 400);
    assert.equal(raw.body.message, 'a container name must be specified for pod web, choose one of: [app side]');
  });

  test('pods/log options are validated with upstream messages', async () => {
    let r = await s.c.admin.req('GET', '/api/v1/namespaces/default/pods/web/log?container=app&tailLines=-1');
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0');
    r = await s.c.admin.req('GET', '/api/v1/namespaces/default/pods/web/log?container=app&sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z');
    assert.equal(r.status, 422);
    assert.equal(r.body.message, 'PodLogOptions "web" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
    r = await s.c.admin.req('GET', '/api/v1/namespaces/default/pods/web/log?container=nope');
    assert.equal(r.status, 400);
    assert.equal(r.body.message, 'container nope is not valid for pod web');
    r = await s.c.admin.req('GET', '/api/v1/namespaces/default/pods/web/log?container=app&limitBytes=4');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'one\n');
  });

  test('kubectl logs -f follows until the container stops', async () => {
    const child = spawn(kubectlPath(33), ['logs', '-f', 'web', '-c', 'app'], { env: { ...process.env, KUBECONFIG: admin } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out === 'one\ntwo\nthree\n') s.append(app.log, criLine('2026-01-01T00:00:09Z', 'stdout', 'four'));
      if (out.endsWith('four\n')) s.runtime.exitContainer(app.id, 0);
    });
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.equal(out, 'one\ntwo\nthree\nfour\n');
  });
});

describe('kubectl exec through the API server', { skip }, () => {
  let s: StreamingCluster;
  let admin: string;
  before(async () => {
    s = await startStreamingCluster({ admission: { enable: ['DenyEscalatingExec'] } });
    admin = s.kubeconfig('admin');
    const created = await s.c.admin.req('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sh' }, spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox' }] } } });
    await s.startContainer({ name: 'sh', uid: created.body.metadata.uid }, 'main', 0, []);
    // dev may read logs and get pods/exec, but not create pods/exec.
    await s.c.admin.req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', { body: { metadata: { name: 'peek' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/log', 'pods/exec'], verbs: ['get', 'list'] }] } });
    await s.c.admin.req('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', { body: { metadata: { name: 'peek' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'peek' }, subjects: [{ kind: 'User', name: 'dev', apiGroup: 'rbac.authorization.k8s.io' }] } });
  });
  after(async () => {
    await s?.close();
  });

  test('exec -- id -u prints the output and exits 0', async () => {
    const r = await runKubectl(33, admin, ['exec', 'sh', '--', 'id', '-u']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1000\n');
  });

  test('the command\'s exit code is kubectl\'s, stderr kept apart', async () => {
    const r = await runKubectl(33, admin, ['exec', 'sh', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^bye\ncommand terminated with exit code 3\n$/);
  });

  test('stdin reaches the process (-i) and its end ends it', async () => {
    const r = await runKubectl(33, admin, ['exec', '-i', 'sh', '--', 'cat'], 'hello through the agent\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello through the agent\n');
  });

  test('a user who may get but not create pods/exec is refused (403), over WebSocket and SPDY alike', async () => {
    const r = await runKubectl(33, s.kubeconfig('dev'), ['exec', 'sh', '--', 'id', '-u']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "sh" is forbidden: User "dev" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
    assert.equal(r.stdout, '');
    // Reading logs is what dev may do.
    const logs = await runKubectl(33, s.kubeconfig('dev'), ['logs', 'sh']);
    assert.equal(logs.code, 0, logs.stderr);
  });

  test('kubectl 1.29 execs over SPDY/3.1 (its only protocol): output, exit code, stdin', { skip: kubectlSkip(29) }, async () => {
    let r = await runKubectl(29, admin, ['exec', 'sh', '--', 'id', '-u']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1000\n');
    r = await runKubectl(29, admin, ['exec', 'sh', '--', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^bye\ncommand terminated with exit code 3\n$/);
    const big = 'x'.repeat(300_000) + '\n';
    r = await runKubectl(29, admin, ['exec', '-i', 'sh', '--', 'cat'], big);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.length, big.length);
  });

  for (const minor of [33, 29]) {
    test(`kubectl 1.${minor} port-forward reaches a server in the pod (${minor >= 31 ? 'SPDY tunnelled in WebSocket' : 'SPDY'})`, { skip: kubectlSkip(minor) }, async () => {
      const pod = (await s.c.admin.req('GET', '/api/v1/namespaces/default/pods/sh')).body;
      if (pod.status?.phase !== 'Running') {
        pod.status = { phase: 'Running' };
        const put = await s.c.admin.req('PUT', '/api/v1/namespaces/default/pods/sh/status', { body: pod });
        assert.equal(put.status, 200, put.text);
      }
      const echo = createServer((c) => c.pipe(c)).listen(0, '127.0.0.1');
      await new Promise((r) => echo.once('listening', r));
      const port = (echo.address() as { port: number }).port;
      const { child, local: forwarded } = startPortForward(minor, admin, 'pod/sh', port);
      try {
        const local = await forwarded;
        const got = await new Promise<string>((resolve, reject) => {
          const c = connectTcp(local, '127.0.0.1', () => c.write('ping through the tunnel'));
          let text = '';
          c.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.length >= 'ping through the tunnel'.length) {
              c.end();
              resolve(text);
            }
          });
          c.on('error', reject);
        });
        assert.equal(got, 'ping through the tunnel');
      } finally {
        child.kill();
        echo.close();
      }
    });
  }

  test('exec into a pod sharing the host PID namespace is refused at admission (DenyEscalatingExec)', async () => {
    const created = await s.c.admin.req('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hostpid' }, spec: { nodeName: NODE, hostPID: true, containers: [{ name: 'main', image: 'busybox' }] } } });
    assert.equal(created.status, 201, created.text);
    await s.startContainer({ name: 'hostpid', uid: created.body.metadata.uid }, 'main', 0, []);
    const r = await runKubectl(33, admin, ['exec', 'hostpid', '--', 'id', '-u']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "hostpid" is forbidden: cannot exec into or attach to a container using host pid/);
    assert.equal(r.stdout, '');
  });

  test('port-forward (WebSocket v4 channels) reaches a server in the pod', async () => {
    const echo = createServer((c) => c.pipe(c)).listen(0, '127.0.0.1');
    await new Promise((r) => echo.once('listening', r));
    const port = (echo.address() as { port: number }).port;
    try {
      const ws = new WebSocket(`${s.c.cp.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/sh/portforward?ports=${port}`, ['v4.channel.k8s.io'], {
        ca: s.c.cp.pki.caCertPem, cert: s.c.cp.pki.adminCertPem, key: s.c.cp.pki.adminKeyPem,
      });
      const got: Buffer[] = [];
      const echoed = new Promise<string>((resolve, reject) => {
        ws.on('message', (d: Buffer) => {
          got.push(d);
          // data channel 0: first the port, then the echo
          const data = Buffer.concat(got.filter((m) => m[0] === 0).map((m) => m.subarray(1)));
          if (data.length >= 2 + 4) resolve(data.toString('latin1'));
        });
        ws.on('error', reject);
      });
      await new Promise((r, j) => {
        ws.once('open', r);
        ws.once('error', j);
      });
      assert.equal(ws.protocol, 'v4.channel.k8s.io');
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping')]));
      const data = await echoed;
      assert.equal(data.charCodeAt(0) + data.charCodeAt(1) * 256, port);
      assert.equal(data.slice(2), 'ping');
      // The error channel (1) announced the port too.
      assert.ok(got.some((m) => m[0] === 1 && m.length === 3 && m.readUInt16LE(1) === port));
      assert.equal(s.dialed.at(-1), port);
      ws.close();
    } finally {
      echo.close();
    }
  });

  test('a failed upgrade is answered with a Status and the connection is closed, not reused', async () => {
    // The agent refuses: no container "ghost" runs (a pod whose container never started).
    const created = await s.c.admin.req('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ghost' }, spec: { nodeName: NODE, containers: [{ name: 'ghost', image: 'busybox' }] } } });
    assert.equal(created.status, 201);
    const url = new URL(s.c.cp.url);
    const sock = tlsConnect({ host: url.hostname, port: Number(url.port), ca: s.c.cp.pki.caCertPem, cert: s.c.cp.pki.adminCertPem, key: s.c.cp.pki.adminKeyPem, servername: 'localhost' });
    await new Promise((r) => sock.once('secureConnect', r));
    let text = '';
    sock.on('data', (d: Buffer) => (text += d.toString()));
    const ended = new Promise((r) => sock.once('close', r));
    const upgrade = 'GET /api/v1/namespaces/default/pods/ghost/exec?command=id&stdout=true HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n';
    // A second request pipelined behind the upgrade: it must never be answered on this connection.
    sock.write(upgrade + 'GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n\r\n');
    await ended;
    assert.match(text, /^HTTP\/1\.1 404 /);
    assert.match(text, /container not found \(\\"ghost\\"\)/);
    assert.equal(text.match(/HTTP\/1\.1/g)?.length, 1, text);
    // kubectl (WebSocket, then its SPDY fallback) reports the agent's reason.
    const r = await runKubectl(33, admin, ['exec', 'ghost', '--', 'id']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /container not found \("ghost"\)/);
  });
});

describe('the agent\'s own authentication and authorization', { skip }, () => {
  let s: StreamingCluster;
  before(async () => {
    s = await startStreamingCluster();
  });
  after(async () => {
    await s?.close();
  });

  const get = (id: { certPem?: string; keyPem?: string }, path: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port: s.server.port, path, ca: s.c.cp.pki.caCertPem, cert: id.certPem, key: id.keyPem, agent: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      r.on('error', reject);
      r.end();
    });

  test('no client certificate, or one from another CA: 401', async () => {
    assert.deepEqual(await get({}, '/containerLogs/default/web/app'), { status: 401, text: 'Unauthorized' });
    const other = createCA({ commonName: 'other-ca', now: new Date(), validityDays: 1 });
    const stranger = issueCert(other, { commonName: 'kube-apiserver-kubelet-client', usage: 'client', now: new Date(), validityDays: 1 });
    assert.equal((await get(stranger, '/containerLogs/default/web/app')).status, 401);
  });

  test('a valid certificate without nodes/proxy: 403 with the kubelet\'s text', async () => {
    const ca = { certPem: s.c.cp.pki.caCertPem, keyPem: s.c.cp.pki.caKeyPem };
    const dev = issueCert(ca, { commonName: 'dev', usage: 'client', now: new Date(), validityDays: 1 });
    assert.deepEqual(await get(dev, '/containerLogs/default/web/app'), { status: 403, text: 'Forbidden (user=dev, verb=get, resource=nodes, subresource=proxy)' });
    assert.deepEqual(await get(dev, '/stats/summary'), { status: 403, text: 'Forbidden (user=dev, verb=get, resource=nodes, subresource=stats)' });
    // The API server's identity passes the review (system:kubelet-api-admin) and gets to the handler.
    const apiserver = issueCert(ca, { commonName: 'kube-apiserver-kubelet-client', usage: 'client', now: new Date(), validityDays: 1 });
    assert.deepEqual(await get(apiserver, '/containerLogs/default/web/app'), { status: 400, text: 'container "app" in pod "web" is not available' });
  });
});
