/**
 * Probes and lifecycle hooks on the real runtime (runc, a busybox image): a failing liveness probe
 * restarts the container (Unhealthy and Killing events as upstream); an httpGet readiness probe
 * against busybox httpd on the host network flips the container's ready, the pod's Ready condition
 * and its EndpointSlice endpoint both ways; a postStart hook's effect is visible in the container,
 * a failing one is FailedPostStartHook; a preStop httpGet hook runs when the pod is deleted. Needs
 * root, runc and busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { resources } from '../../src/cluster/client/resources.ts';
import { isNotFound } from '../../src/cluster/client/errors.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { HOST, startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';
import { freePort } from '../helpers/free-port.ts';

const skip = requireRunc('the agent on runc');
/** EndpointSlices refuse loopback addresses: the host-network pod is reached on the host's own address. */
const hostIP = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('probes and lifecycle hooks on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;
  const NODE = 'node-probes';

  const getPod = (name: string) => ac.admin.get<K8sObject>(resources.pods, 'default', name);
  const eventsOf = async (name: string) => (await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: `involvedObject.name=${name}` })).items.map((e) => `${e.reason}: ${e.message}`);
  const execOut = async (containerID: string, argv: string[]) => {
    let out = '';
    const sink = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
    const { exitCode } = await node.rt.exec(containerID.slice('runc://'.length), { argv, tty: false, stdout: sink, stderr: sink });
    return { exitCode, out };
  };
  const pod = (name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}) => ac.admin.create(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', ...container }], ...spec },
  });
  const gone = (name: string) => eventually(async () => {
    try {
      await getPod(name);
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }, `pod ${name} is gone`, 400, 100);

  before(async () => {
    ac = await startAgentCluster(['endpointslice-controller']);
    node = await startRuncAgent(ac, NODE, { agent: { host: { ...HOST, internalIP: hostIP ?? '127.0.0.1' } } });
  });

  after(() => stopRuncAgent(node, ac));

  test('a failing liveness probe restarts the container', async () => {
    await pod('live', {
      command: ['sh', '-c', 'exec sleep 3600'],
      livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2, terminationGracePeriodSeconds: 1 },
    });
    const p = await eventually(async () => {
      const x = await getPod('live');
      const cs = x.status?.containerStatuses?.[0];
      return cs?.restartCount >= 1 && cs.state?.running && x;
    }, 'the container was restarted', 600, 100);
    const cs = p.status.containerStatuses[0];
    assert.equal(cs.lastState.terminated.exitCode, 137, 'killed: sleep as pid 1 ignores SIGTERM, SIGKILL after the grace period');
    assert.equal(cs.lastState.terminated.reason, 'Error');
    const events = await eventually(async () => {
      const ev = await eventsOf('live');
      return ev.some((e) => e.startsWith('Killing:')) && ev;
    }, 'the Killing event');
    assert.ok(events.includes('Killing: Container c failed liveness probe, will be restarted'), events.join('\n'));
    assert.ok(events.some((e) => e.startsWith("Unhealthy: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory")), events.join('\n'));
    // Repeats are counted on one Event (failureThreshold 2: at least two failures), as the kubelet's correlator.
    await eventually(async () => {
      const unhealthy = (await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: 'involvedObject.name=live' })).items.filter((e) => e.reason === 'Unhealthy');
      return unhealthy.length === 1 && unhealthy[0]!.count >= 2;
    }, 'one Unhealthy Event with a count');
    await ac.admin.delete(resources.pods, 'default', 'live', { gracePeriodSeconds: 0 });
    await gone('live');
  });

  test('an httpGet readiness probe flips ready, the Ready condition and the EndpointSlice endpoint, also while terminating', { skip: hostIP ? false : 'no non-loopback IPv4 address on this host' }, async (t) => {
    // httpd in the host-network pod listens on every address.
    const port = await freePort('0.0.0.0');
    await ac.admin.create(resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: port }] } });
    await pod('web', {
      command: ['sh', '-c', `mkdir -p /www && exec httpd -f -p ${port} -h /www`],
      readinessProbe: { httpGet: { path: '/ready', port }, periodSeconds: 1, failureThreshold: 1 },
      // On delete the server turns unready while the container still runs (httpd as pid 1 ignores SIGTERM).
      lifecycle: { preStop: { exec: { command: ['sh', '-c', 'rm -f /www/ready; sleep 4'] } } },
    }, { hostNetwork: true, terminationGracePeriodSeconds: 8 });
    const cond = (p: K8sObject, type: string) => p.status?.conditions?.find((c: { type: string }) => c.type === type);
    const running = await eventually(async () => {
      const x = await getPod('web');
      return x.status?.containerStatuses?.[0]?.state?.running && x;
    }, 'web runs', 400, 100);
    // httpd answers 404 for the missing file: running, not ready.
    const notReady = await eventually(async () => {
      const x = await getPod('web');
      return cond(x, 'Ready')?.status === 'False' && x.status.containerStatuses[0].started === true && x;
    }, 'web is running but not ready');
    assert.equal(notReady.status.containerStatuses[0].ready, false);
    assert.equal(cond(notReady, 'ContainersReady')?.reason, 'ContainersNotReady');
    assert.equal(notReady.status.podIP, hostIP);
    const id = running.status.containerStatuses[0].containerID;
    const endpoint = async () => {
      const slices = (await ac.admin.list<K8sObject>(resources.endpointslices, 'default', { labelSelector: 'kubernetes.io/service-name=web' })).items;
      return slices.flatMap((s) => s.endpoints ?? []).find((e: { targetRef?: { name?: string } }) => e.targetRef?.name === 'web');
    };
    await eventually(async () => (await endpoint())?.conditions?.ready === false, 'the endpoint is listed not ready');

    assert.equal((await execOut(id, ['sh', '-c', 'echo ok > /www/ready'])).exitCode, 0);
    await eventually(async () => cond(await getPod('web'), 'Ready')?.status === 'True', 'web turns Ready');
    assert.equal((await getPod('web')).status.containerStatuses[0].ready, true);
    await eventually(async () => (await endpoint())?.conditions?.ready === true, 'the endpoint turns ready');

    const t0 = Date.now();
    assert.equal((await execOut(id, ['rm', '/www/ready'])).exitCode, 0);
    await eventually(async () => (await endpoint())?.conditions?.ready === false, 'the endpoint turns not ready again', 400, 20);
    t.diagnostic(`readiness failure to endpoint not ready: ${Date.now() - t0} ms (periodSeconds 1)`);
    const events = await eventsOf('web');
    assert.ok(events.includes('Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404'), events.join('\n'));

    // Terminating, readiness is still probed and reported: the endpoint stops serving while the container runs.
    assert.equal((await execOut(id, ['sh', '-c', 'echo ok > /www/ready'])).exitCode, 0);
    await eventually(async () => (await endpoint())?.conditions?.ready === true, 'the endpoint is ready again');
    await ac.admin.delete(resources.pods, 'default', 'web', { gracePeriodSeconds: 8 });
    await eventually(async () => {
      const c = (await endpoint())?.conditions;
      return c?.terminating === true && c.serving === false;
    }, 'the terminating endpoint stops serving', 400, 20);
    assert.equal((await node.rt.containerStatus(id.slice('runc://'.length)))?.state, 'running', 'while the container still runs (in its preStop hook)');
    await gone('web');
  });

  test("a postStart hook's effect is visible; a failing one is FailedPostStartHook; preStop runs on delete, a failing one is FailedPreStopHook", async () => {
    const hits: Array<{ url?: string; ua?: string }> = [];
    const srv = http.createServer((req, res) => {
      hits.push({ url: req.url, ua: req.headers['user-agent'] });
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      await pod('hooks', {
        command: ['sh', '-c', 'exec sleep 3600'],
        lifecycle: {
          postStart: { exec: { command: ['sh', '-c', 'echo started > /tmp/poststart'] } },
          // The test's own server: hostNetwork is not needed when the hook names its host.
          preStop: { httpGet: { host: '127.0.0.1', port, path: '/prestop' } },
        },
      }, { hostNetwork: true });
      const p = await eventually(async () => {
        const x = await getPod('hooks');
        return x.status?.containerStatuses?.[0]?.state?.running && x;
      }, 'hooks runs', 400, 100);
      const { out } = await execOut(p.status.containerStatuses[0].containerID, ['cat', '/tmp/poststart']);
      assert.equal(out, 'started\n');
      await ac.admin.delete(resources.pods, 'default', 'hooks', { gracePeriodSeconds: 5 });
      await gone('hooks');
      assert.deepEqual(hits, [{ url: '/prestop', ua: 'kube-lifecycle/1.33' }]);
    } finally {
      await new Promise((r) => srv.close(r));
    }

    await pod('bad-hook', { command: ['sh', '-c', 'exec sleep 3600'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo no; exit 3'] } } } });
    const events = await eventually(async () => {
      const ev = await eventsOf('bad-hook');
      return ev.some((e) => e.startsWith('FailedPostStartHook:')) && ev.some((e) => e.startsWith('Killing:')) && ev;
    }, 'FailedPostStartHook and Killing events', 400, 100);
    const failed = events.find((e) => e.startsWith('FailedPostStartHook:'))!;
    assert.match(failed, /^FailedPostStartHook: Exec lifecycle hook \(\[sh -c echo no; exit 3\]\) for Container "c" in Pod "bad-hook_default\([0-9a-f-]+\)" failed - error: command 'sh -c echo no; exit 3' exited with 3: no\n, message: "no\\n"$/);
    assert.ok(events.includes('Killing: FailedPostStartHook'), events.join('\n'));
    await ac.admin.delete(resources.pods, 'default', 'bad-hook', { gracePeriodSeconds: 0 });
    await gone('bad-hook');

    await pod('bad-stop', { command: ['sh', '-c', 'exec sleep 3600'], lifecycle: { preStop: { exec: { command: ['sh', '-c', 'exit 2'] } } } });
    await eventually(async () => (await getPod('bad-stop')).status?.containerStatuses?.[0]?.state?.running, 'bad-stop runs', 400, 100);
    await ac.admin.delete(resources.pods, 'default', 'bad-stop', { gracePeriodSeconds: 5 });
    await gone('bad-stop');
    const stopEvents = await eventsOf('bad-stop');
    assert.ok(stopEvents.some((e) => /^FailedPreStopHook: Exec lifecycle hook \(\[sh -c exit 2\]\) for Container "c" in Pod "bad-stop_default\([0-9a-f-]+\)" failed - error: command 'sh -c exit 2' exited with 2: , message: ""$/.test(e)), stopEvents.join('\n'));
  });
});
