import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import type { K8sObject } from '../client/types.ts';
import { FakeImageService, FakeRuntime } from './runtime/fake.ts';
import { PodSyncer } from './pod-sync.ts';
import { missingClusterDNS, resolvConfFor } from './network/dns/resolv-conf.ts';

const quiet = { warn() {}, info() {} };
const MESSAGE = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';

test('missingClusterDNS: the policies that use the cluster DNS (getPodDNSType), only without one', () => {
  const cases: Array<[Partial<PodSpec>, boolean]> = [
    [{}, true],
    [{ dnsPolicy: 'ClusterFirst' }, true],
    [{ dnsPolicy: 'ClusterFirst', hostNetwork: true }, false],
    [{ dnsPolicy: 'ClusterFirstWithHostNet', hostNetwork: true }, true],
    [{ dnsPolicy: 'ClusterFirstWithHostNet' }, true],
    [{ dnsPolicy: 'Default' }, false],
    [{ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }, false],
  ];
  for (const [spec, want] of cases) {
    assert.equal(missingClusterDNS(spec, []), want, JSON.stringify(spec));
    assert.equal(missingClusterDNS(spec, ['10.96.0.10']), false, JSON.stringify(spec));
  }
});

test('a ClusterFirst pod on a node without cluster DNS: MissingClusterDNS on the Node and the pod at the sandbox and each sync, Default resolv.conf', async () => {
  const now = () => Date.parse('2026-01-01T00:00:00Z');
  const client = new FakeApiClient();
  const seed = (name: string, uid: string, spec: Partial<PodSpec>) => client.seed<K8sObject>(resources.pods, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img:1', imagePullPolicy: 'IfNotPresent' }], ...spec },
  }) as Pod;
  const cluster = seed('p', 'u1', {});
  const host = seed('h', 'u2', { hostNetwork: true });
  const events: Array<{ kind: string; name: string; type: string; reason: string; message: string }> = [];
  const clusterDNS: string[] = [];
  const files = new Map<string, string>();
  const syncer = new PodSyncer({
    runtime: new FakeRuntime({ now }), images: new FakeImageService(), client, hostIP: '10.0.0.1', allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
    scheme: 'fake', now, pods: () => [cluster, host], requeueAfter() {}, log: quiet,
    node: () => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }),
    recorder: { event: (obj, res, type, reason, message) => void (reason === 'MissingClusterDNS' && events.push({ kind: res.kind, name: obj.metadata.name!, type, reason, message })) },
    async podFiles(pod) {
      files.set(pod.metadata!.name!, resolvConfFor({ namespace: 'default', dnsPolicy: pod.spec?.dnsPolicy, hostNetwork: pod.spec?.hostNetwork, clusterDNS, clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 192.0.2.53\n' }));
      return {};
    },
    missingClusterDNS: (pod) => missingClusterDNS(pod.spec ?? {}, clusterDNS),
  });
  try {
    await syncer.sync(cluster);
    await syncer.sync(host);
    const node = { kind: 'Node', name: 'n1', type: 'Warning', reason: 'MissingClusterDNS', message: MESSAGE };
    const onPod = { kind: 'Pod', name: 'p', type: 'Warning', reason: 'MissingClusterDNS', message: `pod: "p_default(${cluster.metadata!.uid})". ${MESSAGE}` };
    // createPodSandbox's generatePodSandboxConfig, then SyncPod's for the containers; none for the host-network pod (Default).
    assert.deepEqual(events, [node, onPod, node, onPod]);
    assert.equal(files.get('p'), 'nameserver 192.0.2.53\n', 'falls back to Default');
    events.length = 0;
    await syncer.sync(cluster);
    assert.deepEqual(events, [node, onPod], 'again at every sync that goes on to the containers');
    events.length = 0;
    clusterDNS.push('10.96.0.10');
    await syncer.sync(cluster);
    assert.deepEqual(events, []);
  } finally {
    syncer.probes.stop();
  }
});
