/**
 * `kubectl top` on a real node: a busy-looping runc container's CPU, read from its cgroup by the
 * agent (/metrics/resource, authorized by SubjectAccessReview as nodes/metrics), scraped by the
 * real nodes' metrics server with its own identity (system:metrics-server), turned into a rate
 * between two scrapes and served as metrics.k8s.io through the API server's aggregation layer.
 * The same node's /stats/summary and /metrics/probes through the API server's nodes/proxy.
 * Needs root, runc, busybox-static, a non-loopback IPv4 address (the API refuses loopback
 * endpoints for the metrics Service) and kubectl 1.33: skipped without them, failed under
 * PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KUBELET_PORT } from '../../src/cluster/agent/node-status.ts';
import { StreamingEndpoint } from '../../src/cluster/agent/server/streaming-endpoint.ts';
import { imagesUsage } from '../../src/cluster/agent/server/stats-summary.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { defaultMetricsHost } from '../../src/cluster/metrics/registration.ts';
import { startNodeMetricsServer } from '../../src/cluster/metrics/serve-node-metrics.ts';
import { requirePart, requireRunc } from '../helpers/real-parts.ts';
import { kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { adminKubeconfig, approveServing, eventually, HOST, quietLog, startAgentCluster, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const metricsHost = defaultMetricsHost();
const skip = requireRunc('runc containers') || requirePart('a non-loopback IPv4 address', metricsHost !== undefined) || kubectlSkip(33);
const ADDRESS = '127.0.0.5';
const NODE = 'node-metrics';

describe('kubectl top on a runc node', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode;
  let endpoint: StreamingEndpoint;
  let kubeconfig: string;
  let metrics: { stop(): Promise<void> } | undefined;

  before(async () => {
    ac = await startAgentCluster();
    node = await startRuncAgent(ac, NODE, {
      agent: ({ work, rt, images }) => {
        endpoint = new StreamingEndpoint({
          nodeName: NODE, runtime: rt, clientCaPem: ac.c.cp.pki.caCertPem, client: () => node.agent.client, address: ADDRESS, port: KUBELET_PORT, log: quietLog,
          dataDir: work, imagesUsage: imagesUsage(images), probeMetrics: async () => (await node?.agent.syncer.probes.metrics.text()) ?? '',
          claimVolumes: (uid) => node?.agent.volumes?.claimVolumes(uid) ?? [],
        });
        return { host: { ...HOST, internalIP: ADDRESS }, podVolumes: true, onServingCertificate: (c) => endpoint.setCertificate(c) };
      },
    });
    const work = node.work;
    await approveServing(ac, endpoint);
    kubeconfig = adminKubeconfig(ac);
    // A claim bound by hand (no volume controller runs here) to a local PersistentVolume on this node.
    const pvc = await ac.admin.create<K8sObject>(resources.persistentvolumeclaims, 'default', {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'stats-data' }, spec: { volumeName: 'pv-stats', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    mkdirSync(join(work, 'pv-stats'));
    await ac.admin.create(resources.persistentvolumes, '', {
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-stats' },
      spec: {
        capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: join(work, 'pv-stats') }, claimRef: { namespace: 'default', name: 'stats-data', uid: pvc.metadata.uid },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] }] } },
      },
    });
    await ac.admin.update(resources.persistentvolumeclaims, 'default', { ...pvc, status: { phase: 'Bound' } }, 'status');
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'burner', labels: { app: 'burner' } },
      spec: {
        nodeName: NODE, terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'stats-data' } }],
        containers: [{
          name: 'spin', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'head -c 100000 /dev/zero > /scratch/fill; head -c 200000 /dev/zero > /written; while :; do :; done'],
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
        }],
      },
    });
    await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'default', 'burner')).status?.phase === 'Running', 'the pod is Running', 400, 100);
    // A short resolution so the test sees two scrapes soon; the rules are metrics-server's.
    metrics = await startNodeMetricsServer({ admin: ac.admin, server: ac.c.cp.url, ca: { certPem: ac.c.cp.pki.caCertPem, keyPem: ac.c.cp.pki.caKeyPem }, host: metricsHost!, resolutionMs: 2000, log: quietLog });
  });

  after(async () => {
    await metrics?.stop();
    await endpoint?.close();
    await stopRuncAgent(node, ac);
  });

  test('kubectl top pod shows the busy loop\'s CPU above zero, and top node the node\'s', async () => {
    const top = await eventually(async () => {
      const r = await runKubectl(33, kubeconfig, ['top', 'pod', 'burner', '--containers']);
      const m = /^burner\s+spin\s+(\d+)m\s+(\d+)Mi\s*$/m.exec(r.stdout);
      return m && Number(m[1]) > 0 ? { cpu: Number(m[1]), text: r.stdout } : undefined;
    }, 'kubectl top pod shows CPU', 120, 500);
    assert.ok(top.cpu > 0, top.text);
    const nodes = await eventually(async () => {
      const r = await runKubectl(33, kubeconfig, ['top', 'node', NODE]);
      const m = new RegExp(`^${NODE}\\s+(\\d+)m\\s+\\d+%\\s+(\\d+)Mi\\s+\\d+%`, 'm').exec(r.stdout);
      return m && Number(m[1]) > 0 && Number(m[2]) > 0 ? r.stdout : undefined;
    }, 'kubectl top node', 120, 500);
    assert.match(nodes, new RegExp(NODE));
    // The API as the HPA reads it: PodMetrics with the pod's labels, a window, usage as quantities.
    const pm = await ac.admin.get<K8sObject>({ group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', kind: 'PodMetrics', namespaced: true }, 'default', 'burner');
    assert.deepEqual(pm.metadata.labels, { app: 'burner' });
    assert.match(String(pm.window), /^\d+(\.\d+)?m?s$/);
    assert.equal((pm.containers as Array<{ name: string }>)[0]!.name, 'spin');
  });

  test('the API server\'s node proxy reaches the agent\'s /stats/summary (Summary shape, system containers, CPU rate, rootfs, volumes, logs) and /metrics/probes', async () => {
    type Summary = { node: Record<string, any>; pods: Array<Record<string, any>> };
    const raw = (path: string) => runKubectl(33, kubeconfig, ['get', '--raw', `/api/v1/nodes/${NODE}/proxy${path}`]);
    // The rate needs two reads: the first has none.
    let last = '';
    const summary = await eventually(async () => {
      const r = await raw('/stats/summary');
      last = `${r.code} ${r.stdout.slice(0, 3000)} ${r.stderr}`;
      if (r.code !== 0) return undefined;
      const s = JSON.parse(r.stdout) as Summary;
      const pod = s.pods.find((p) => p.podRef.name === 'burner');
      return pod?.containers?.[0]?.cpu?.usageNanoCores > 0 ? s : undefined;
    }, 'a summary with the pod\'s CPU rate', 60, 500).catch((err: Error) => assert.fail(`${err.message}; last answer: ${last}`));
    assert.equal(summary.node.nodeName, NODE);
    for (const k of ['startTime', 'cpu', 'memory', 'fs', 'runtime', 'rlimit']) assert.ok(k in summary.node, `node.${k}`);
    assert.ok(summary.node.memory.workingSetBytes > 0 && summary.node.fs.capacityBytes > 0);
    // The agent process ("kubelet") and the cgroup the containers are under ("pods"), the busy loop's CPU in it.
    const system = Object.fromEntries((summary.node.systemContainers as Array<Record<string, any>>).map((c) => [c.name, c]));
    assert.deepEqual(Object.keys(system), ['kubelet', 'pods'], JSON.stringify(summary.node.systemContainers));
    assert.ok(system.kubelet.cpu.usageCoreNanoSeconds > 0 && system.kubelet.memory.workingSetBytes > 0, JSON.stringify(system.kubelet));
    assert.ok(system.pods.cpu.usageCoreNanoSeconds > 0 && system.pods.memory.workingSetBytes > 0, JSON.stringify(system.pods));
    const pod = summary.pods.find((p) => p.podRef.name === 'burner')!;
    const uid = (await ac.admin.get<K8sObject>(resources.pods, 'default', 'burner')).metadata.uid;
    assert.deepEqual(pod.podRef, { name: 'burner', namespace: 'default', uid });
    const spin = pod.containers.find((c: { name: string }) => c.name === 'spin');
    assert.ok(spin.cpu.usageNanoCores > 0 && spin.memory.workingSetBytes > 0, JSON.stringify(spin));
    assert.ok(spin.logs && spin.logs.usedBytes >= 0 && spin.logs.inodesUsed >= 1, JSON.stringify(spin.logs));
    // The writable layer: the file the container wrote to its root.
    assert.ok(spin.rootfs && spin.rootfs.usedBytes >= 200_000 && spin.rootfs.capacityBytes > 0, JSON.stringify(spin.rootfs));
    assert.ok(pod.network, 'the pod\'s network namespace');
    const scratch = pod.volume.find((v: { name: string }) => v.name === 'scratch');
    assert.ok(scratch && scratch.usedBytes >= 100_000, JSON.stringify(pod.volume));
    assert.ok(pod['ephemeral-storage'].usedBytes >= scratch.usedBytes + spin.rootfs.usedBytes);
    const data = pod.volume.find((v: { name: string }) => v.name === 'data');
    assert.deepEqual(data?.pvcRef, { name: 'stats-data', namespace: 'default' }, JSON.stringify(pod.volume));
    assert.ok(data.capacityBytes > 0 && data.usedBytes > 0);

    const probes = await eventually(async () => {
      const r = await raw('/metrics/probes');
      const m = new RegExp(`^prober_probe_total\\{container="spin",namespace="default",pod="burner",pod_uid="${uid}",probe_type="Readiness",result="successful"\\} (\\d+)$`, 'm').exec(r.stdout);
      return m && Number(m[1]) > 0 ? r.stdout : undefined;
    }, 'prober_probe_total for the readiness probe', 60, 500);
    assert.match(probes, /^prober_probe_duration_seconds_count\{container="spin",namespace="default",pod="burner",probe_type="Readiness"\} \d+$/m);
  });
});
