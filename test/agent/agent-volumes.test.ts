/**
 * Pod volumes on the real runtime (runc, a busybox image): configMap (an update reaches the
 * mounted file), secret (its modes), emptyDir shared by two containers, a read-only mount, the
 * default kube-api-access projected volume (the token authenticates as the pod's service account
 * and is refused once the pod is deleted), FailedMount events with upstream's message, and the
 * pod's directory and mounts gone after deletion; a local-path volume's directory removed by the
 * agent (through nodes/proxy) when its claim goes. Needs root, runc and busybox-static: skipped
 * without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { mountsUnder, mountTmpfs } from '../../src/cluster/agent/volumes/mounts.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { isNotFound } from '../../src/cluster/client/errors.ts';
import type { K8sObject, ResourceRef } from '../../src/cluster/client/types.ts';
import { KUBELET_PORT } from '../../src/cluster/agent/node-status.ts';
import { StreamingEndpoint } from '../../src/cluster/agent/server/streaming-endpoint.ts';
import type { AgentOptions } from '../../src/cluster/agent/agent.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { approveServing, HOST, quietLog, startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('pod volumes on runc');
const TOKEN_REVIEWS: ResourceRef = { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', kind: 'TokenReview', namespaced: false };
const NODE = 'node-vol';
/** The agent's endpoint address (its own, so other tests' agents on 10250 do not collide). */
const ADDRESS = '127.0.0.6';

describe('pod volumes on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;
  let endpoint: StreamingEndpoint;
  /** The agent's own address, its endpoint's certificate, pod volumes. */
  const agentOptions = (): Partial<AgentOptions> => ({ podVolumes: true, host: { ...HOST, internalIP: ADDRESS }, onServingCertificate: (c) => endpoint.setCertificate(c) });

  before(async () => {
    ac = await startAgentCluster(['persistentvolume-binder-controller']);
    node = await startRuncAgent(ac, NODE, {
      agent: ({ work, rt }) => {
        // The agent's HTTPS endpoint: the binder reaches it through nodes/proxy to remove local-path directories.
        endpoint = new StreamingEndpoint({ nodeName: NODE, runtime: rt, clientCaPem: ac.c.cp.pki.caCertPem, client: () => node.agent.client, address: ADDRESS, port: KUBELET_PORT, log: quietLog, dataDir: work, volumePathInUse: (p) => node?.agent.volumes?.usesPath(p) ?? true });
        return agentOptions();
      },
    });
    await approveServing(ac, endpoint);
  });

  after(async () => {
    try {
      // The agent first, so nothing it does races the clean-up.
      await endpoint?.close();
    } finally {
      // Volumes of pods a failed test left behind too, so the directory can go.
      await stopRuncAgent(node, ac);
    }
  });

  const running = (name: string) => eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c: { ready: boolean }) => c.ready) && p;
  }, `pod ${name} is Running`, 600, 100);

  /** Runs a shell script in the pod's container; its stdout, and the exit code. */
  async function sh(pod: K8sObject, container: string, script: string): Promise<{ out: string; code: number }> {
    const cs = pod.status.containerStatuses.find((c: { name: string }) => c.name === container);
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const { exitCode } = await node.rt.exec(cs.containerID.slice('runc://'.length), { argv: ['sh', '-c', script], tty: false, stdout, stderr: new PassThrough() });
    return { out: Buffer.concat(chunks).toString('utf8'), code: exitCode };
  }

  const gone = (name: string) => eventually(async () => {
    try {
      await ac.admin.get(resources.pods, 'default', name);
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }, `pod ${name} is gone`, 600, 100);

  test('configMap, secret, emptyDir, read-only mounts and the projected token, then tear-down', async () => {
    await ac.admin.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { greeting: 'hello', other: 'x' } });
    await ac.admin.create(resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, data: { password: Buffer.from('s3cret').toString('base64') } });
    const pod = await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vols', labels: { app: 'vols' } },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'greeting', path: 'g/greeting.txt' }] } },
          { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
          { name: 'shared', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
        containers: [
          {
            name: 'writer', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo from-writer > /shared/note; exec sleep 3600'],
            volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }, { name: 'sec', mountPath: '/etc/sec' }, { name: 'shared', mountPath: '/shared' }, { name: 'mem', mountPath: '/mem' }, { name: 'info', mountPath: '/etc/info' }],
          },
          {
            name: 'reader', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'],
            volumeMounts: [{ name: 'shared', mountPath: '/shared', readOnly: true }],
          },
        ],
      },
    });
    const uid = pod.metadata.uid as string;
    const p = await running('vols');

    assert.equal((await sh(p, 'writer', 'cat /etc/cfg/g/greeting.txt')).out, 'hello');
    assert.equal((await sh(p, 'writer', 'ls /etc/cfg')).out.trim(), 'g', 'only the item asked for');
    assert.equal((await sh(p, 'writer', 'cat /etc/sec/password; echo; stat -L -c %a /etc/sec/password')).out, 's3cret\n400\n');
    assert.equal((await sh(p, 'writer', 'cat /etc/info/labels')).out, 'app="vols"');
    assert.match((await sh(p, 'writer', 'grep " /mem " /proc/mounts')).out, /tmpfs .*size=1024k/);
    assert.match((await sh(p, 'writer', 'grep " /etc/sec " /proc/mounts')).out, /tmpfs .*\bro\b/, 'a secret volume is tmpfs, mounted read-only');
    // emptyDir shared: the reader sees the writer's file, and may not write itself.
    assert.equal((await eventually(async () => (await sh(p, 'reader', 'cat /shared/note 2>/dev/null')).out || undefined, 'the reader sees the note')), 'from-writer\n');
    const ro = await sh(p, 'reader', 'echo no > /shared/other');
    assert.notEqual(ro.code, 0, 'writing to a read-only mount fails');
    assert.notEqual((await sh(p, 'writer', 'echo no > /etc/cfg/new')).code, 0, 'configMap volumes are read-only');

    // The pod's labels, changed, reach the downwardAPI file; a secret update reaches its file.
    await ac.admin.patch(resources.pods, 'default', 'vols', 'merge', { metadata: { labels: { app: 'vols', tier: 'web' } } });
    await eventually(async () => (await sh(p, 'writer', 'cat /etc/info/labels')).out === 'app="vols"\ntier="web"', 'the labels file is updated', 600, 100);
    await ac.admin.patch(resources.secrets, 'default', 'sec', 'merge', { data: { password: Buffer.from('rotated').toString('base64') } });
    await eventually(async () => (await sh(p, 'writer', 'cat /etc/sec/password')).out === 'rotated', 'the secret update reaches the file', 600, 100);

    // A configMap update reaches the mounted file.
    await ac.admin.patch(resources.configmaps, 'default', 'cfg', 'merge', { data: { greeting: 'updated' } });
    await eventually(async () => (await sh(p, 'writer', 'cat /etc/cfg/g/greeting.txt')).out === 'updated', 'the update reaches the file', 600, 100);

    // The projected service account token authenticates as the pod's service account.
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const token = (await sh(p, 'writer', `cat ${sa}/token`)).out;
    assert.equal((await sh(p, 'writer', `cat ${sa}/namespace`)).out, 'default');
    assert.match((await sh(p, 'writer', `cat ${sa}/ca.crt`)).out, /BEGIN CERTIFICATE/);
    const review = await ac.admin.create<K8sObject>(TOKEN_REVIEWS, '', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token } });
    assert.equal(review.status.authenticated, true, JSON.stringify(review.status));
    assert.equal(review.status.user.username, 'system:serviceaccount:default:default');
    assert.deepEqual(review.status.user.extra['authentication.kubernetes.io/pod-name'], ['vols']);
    assert.deepEqual(review.status.user.extra['authentication.kubernetes.io/pod-uid'], [uid]);

    const podDir = join(node.work, 'pods', uid);
    assert.ok((await mountsUnder(podDir)).length >= 4, 'tmpfs volumes are mounted under the pod directory');
    await ac.admin.delete(resources.pods, 'default', 'vols', { gracePeriodSeconds: 1 });
    await gone('vols');
    await eventually(async () => !existsSync(podDir), 'the pod directory is removed');
    assert.deepEqual(await mountsUnder(podDir), [], 'nothing stays mounted');
    const after = await ac.admin.create<K8sObject>(TOKEN_REVIEWS, '', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token } });
    assert.notEqual(after.status.authenticated, true, 'the token of a deleted pod is refused');
    assert.match(String(after.status.error), /invalid|not found|has been deleted/i, JSON.stringify(after.status));
  });

  test('a missing configMap is a FailedMount event with upstream message; the pod starts once it exists', async () => {
    const mk = (name: string, volumes: unknown[], mounts: unknown[]) => ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, volumes, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'], volumeMounts: mounts }] },
    });
    await mk('waits', [{ name: 'late', configMap: { name: 'late' } }], [{ name: 'late', mountPath: '/late' }]);
    await mk('badhost', [{ name: 'host', hostPath: { path: '/etc/hostname', type: 'Directory' } }], [{ name: 'host', mountPath: '/host' }]);
    const failed = (pod: string) => eventually(async () => {
      const list = await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: `involvedObject.name=${pod}` });
      return list.items.find((e) => e.reason === 'FailedMount' && e.type === 'Warning')?.message as string | undefined;
    }, `a FailedMount event for ${pod}`, 600, 100);
    assert.equal(await failed('waits'), 'MountVolume.SetUp failed for volume "late" : configmap "late" not found');
    assert.equal(await failed('badhost'), 'MountVolume.SetUp failed for volume "host" : hostPath type check failed: /etc/hostname is not a directory');
    const pending = await ac.admin.get<K8sObject>(resources.pods, 'default', 'waits');
    assert.equal(pending.status.phase, 'Pending');
    assert.equal(pending.status.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');

    // The agent watches the configMap the pod names: its creation starts the pod.
    await ac.admin.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' }, data: { k: 'v' } });
    const p = await running('waits');
    assert.equal((await sh(p, 'c', 'cat /late/k')).out, 'v');
    for (const name of ['waits', 'badhost']) await ac.admin.delete(resources.pods, 'default', name, { gracePeriodSeconds: 0 });
    await gone('waits');
    await gone('badhost');
  });

  test('an agent restart keeps the volumes of running pods and removes those of pods it no longer has', async () => {
    await ac.admin.create(resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { v: 'one' } });
    const created = await ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keeper' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1, volumes: [{ name: 'keep', configMap: { name: 'keep' } }, { name: 'scratch', emptyDir: { medium: 'Memory' } }],
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo kept > /scratch/f; exec sleep 3600'], volumeMounts: [{ name: 'keep', mountPath: '/keep' }, { name: 'scratch', mountPath: '/scratch' }] }],
      },
    });
    const podDir = join(node.work, 'pods', created.metadata.uid as string);
    const before = await running('keeper');
    const mounts = await mountsUnder(podDir);
    assert.ok(mounts.length >= 2);

    await node.agent.stop();
    assert.deepEqual(await mountsUnder(podDir), mounts, 'a stopped agent leaves the mounts of running pods');
    // What an agent that died mid-way left: a pod directory with a tmpfs no pod owns.
    const orphan = join(node.work, 'pods', '00000000-0000-0000-0000-00000000dead');
    const orphanVol = join(orphan, 'volumes', 'kubernetes.io~secret', 'x');
    mkdirSync(orphanVol, { recursive: true });
    await mountTmpfs(orphanVol);

    ({ agent: node.agent } = await ac.start(NODE, { dataDir: node.work, runtime: node.rt, images: node.images, runtimeScheme: 'runc', resyncMs: 300, ...agentOptions() }));
    await eventually(async () => !existsSync(orphan), 'the orphaned pod directory is removed', 600, 100);
    assert.deepEqual(await mountsUnder(orphan), []);
    const after = await running('keeper');
    assert.equal(after.status.containerStatuses[0].containerID, before.status.containerStatuses[0].containerID, 'the container was not restarted');
    assert.equal(after.status.containerStatuses[0].restartCount, 0);
    assert.equal((await sh(after, 'c', 'cat /scratch/f')).out, 'kept\n', 'the Memory emptyDir kept its content');
    assert.deepEqual(await mountsUnder(podDir), mounts, 'the same mounts, not new ones over them');
    await ac.admin.patch(resources.configmaps, 'default', 'keep', 'merge', { data: { v: 'two' } });
    await eventually(async () => (await sh(after, 'c', 'cat /keep/v')).out === 'two', 'the new agent keeps the file current', 600, 100);
    await ac.admin.delete(resources.pods, 'default', 'keeper', { gracePeriodSeconds: 0 });
    await gone('keeper');
    await eventually(async () => !existsSync(podDir), 'the pod directory is removed');
  });

  test('a claim provisioned by the local-path provisioner: the agent makes its directory; subPath inside it', async () => {
    const nodePath = join(node.work, 'local-path');
    await ac.admin.create(resources.storageclasses, '', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'lp' }, provisioner: 'portcullis.dev/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete', parameters: { nodePath } });
    // The scheduler's choice, made by hand (this cluster runs no scheduler).
    await ac.admin.create(resources.persistentvolumeclaims, 'default', {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', annotations: { 'volume.kubernetes.io/selected-node': NODE } },
      spec: { storageClassName: 'lp', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const pvc = await eventually(async () => {
      const c = await ac.admin.get<K8sObject>(resources.persistentvolumeclaims, 'default', 'data');
      return c.status?.phase === 'Bound' && c;
    }, 'the claim is bound', 600, 100);
    const pv = await ac.admin.get<K8sObject>(resources.persistentvolumes, '', pvc.spec.volumeName);
    const dir = pv.spec.local.path as string;
    assert.ok(dir.startsWith(nodePath));
    assert.ok(!existsSync(dir), 'the provisioner only names the directory');
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'claimer' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        containers: [{
          name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo persisted > /data/f; echo in-sub > /sub/g; exec sleep 3600'],
          volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'data', mountPath: '/sub', subPath: 'nested/sub' }],
        }],
      },
    });
    await running('claimer');
    await eventually(async () => existsSync(join(dir, 'f')) && existsSync(join(dir, 'nested/sub/g')), 'the files reach the volume on the host');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'persisted\n');
    assert.equal(readFileSync(join(dir, 'nested/sub/g'), 'utf8'), 'in-sub\n');
    await ac.admin.delete(resources.pods, 'default', 'claimer', { gracePeriodSeconds: 0 });
    await gone('claimer');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'persisted\n', 'the data outlives the pod');
    assert.deepEqual(await mountsUnder(dir), [], 'the subPath bind mount is gone');
    // The claim goes: the volume is released (reclaimPolicy Delete), its node's agent removes the
    // directory (the binder asks through nodes/proxy), then the volume is deleted.
    assert.ok(existsSync(join(node.work, 'local-path-volumes', `${pv.metadata.name}.json`)), 'the agent recorded the directory it made');
    await ac.admin.delete(resources.persistentvolumeclaims, 'default', 'data');
    await eventually(async () => {
      try {
        await ac.admin.get<K8sObject>(resources.persistentvolumes, '', pv.metadata.name as string);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 'the volume is deleted', 600, 100).catch(async (err: Error) => {
      const events = await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: `involvedObject.name=${pv.metadata.name}` });
      assert.fail(`${err.message}; the volume's events: ${events.items.map((e) => `${e.reason}: ${e.message}`).join(' | ')}`);
    });
    assert.ok(!existsSync(dir), 'its directory was removed on the node');
    assert.ok(existsSync(nodePath), 'only the volume\'s own directory');
    assert.ok(!existsSync(join(node.work, 'local-path-volumes', `${pv.metadata.name}.json`)), 'and its record');
  });

  // After the restart test: this agent resyncs every 300 ms, the period the usage is checked in.
  test('an emptyDir on disk over its sizeLimit evicts the pod as the kubelet does', async () => {
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hog' },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 1, volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }],
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'dd if=/dev/zero of=/scratch/big bs=1024 count=2048; exec sleep 3600'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
      },
    });
    const p = await eventually(async () => {
      const x = await ac.admin.get<K8sObject>(resources.pods, 'default', 'hog');
      return x.status?.phase === 'Failed' && x;
    }, 'the pod is evicted', 600, 100);
    const msg = 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ';
    assert.equal(p.status.reason, 'Evicted');
    assert.equal(p.status.message, msg);
    assert.ok(!p.status.conditions.some((c: K8sObject) => c.type === 'DisruptionTarget'), 'upstream sets no DisruptionTarget for local-storage evictions');
    assert.equal(p.status.containerStatuses[0].state.terminated?.exitCode, 137);
    const events = await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: 'involvedObject.name=hog' });
    assert.ok(events.items.some((e) => e.reason === 'Evicted' && e.message === msg));
    await ac.admin.delete(resources.pods, 'default', 'hog', { gracePeriodSeconds: 0 });
    await gone('hog');
  });
});
