/**
 * KEP-2535 end to end on the real runtime: an agent running pods under runc, its image store
 * pulling from Debian's docker-registry (TLS, htpasswd). Tenant A's pod pulls a private image with
 * its pull Secret and runs; tenant B's pods on the same node, with no Secret, do not run it:
 * IfNotPresent goes to the registry with B's (no) credentials and waits in ErrImagePull or
 * ImagePullBackOff, Never waits in ErrImageNeverPull with the message of an absent image.
 * Needs root, runc, busybox-static and docker-registry.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pushLayout } from '../../src/image-policy/oci/push-layout.ts';
import { parseDockerRef } from '../../src/image-policy/reference.ts';
import { RegistryClient } from '../../src/image-policy/registry/client.ts';
import { CredentialKeyring } from '../../src/image-policy/registry/credentials.ts';
import { RegistryPusher } from '../../src/image-policy/registry/push.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { registrySkip, startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { eventually, startAgentCluster, type AgentCluster } from './agent-helpers.ts';
import { startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('the agent on runc') || registrySkip();
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('KEP-2535 on a runc node: a Secret-pulled image is not another tenant\'s', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode | undefined;
  let reg: TestRegistry;
  let registry: RegistryClient;
  let image = '';

  before(async () => {
    reg = await startRegistry({ tls: true });
    registry = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } } });
    ac = await startAgentCluster();
    node = await startRuncAgent(ac, 'node-kep', { agent: ({ work }) => ({ images: new ImageStore({ root: join(work, 'runtime'), registry }) }) });
    image = `${reg.host}/team/bb:v1`;
    const pusher = new RegistryClient({ hosts: { [reg.host]: { caPem: reg.caPem! } }, keyring: new CredentialKeyring([{ auths: { [reg.host]: { username: reg.user!.username, password: reg.user!.password } } }]) });
    try {
      await pushLayout(new RegistryPusher(pusher.transport), join(node.work, 'bb.oci'), parseDockerRef(image), 'v1');
    } finally {
      pusher.close();
    }
    for (const ns of ['tenant-a', 'tenant-b']) await ac.admin.create(resources.namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await ac.admin.create(resources.secrets, 'tenant-a', {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pull' }, type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [reg.host]: { auth: b64(`${reg.user!.username}:${reg.user!.password}`) } } })) },
    });
  });

  after(async () => {
    try {
      await stopRuncAgent(node, ac);
    } finally {
      registry?.close();
      await reg?.stop();
    }
  });

  const pod = (ns: string, name: string, policy: string, secrets: string[]) =>
    ac.admin.create(resources.pods, ns, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { nodeName: 'node-kep', terminationGracePeriodSeconds: 0, imagePullSecrets: secrets.map((s) => ({ name: s })), containers: [{ name: 'c', image, imagePullPolicy: policy, command: ['sleep', '3600'] }] },
    });
  const waiting = (ns: string, name: string, reasons: string[]) =>
    eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, ns, name);
      const w = p.status?.containerStatuses?.[0]?.state?.waiting;
      return w && reasons.includes(w.reason) && w;
    }, `${ns}/${name} waits in ${reasons.join(' or ')}`, 400, 100);

  test('A runs the image it pulled with its Secret; B\'s IfNotPresent pod is refused by the registry, B\'s Never pod is told it is not present', async () => {
    await pod('tenant-a', 'a', 'IfNotPresent', ['pull']);
    await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'tenant-a', 'a')).status?.phase === 'Running', 'A runs', 400, 100);
    await pod('tenant-b', 'b', 'IfNotPresent', []);
    const w = await waiting('tenant-b', 'b', ['ErrImagePull', 'ImagePullBackOff']);
    if (w.reason === 'ErrImagePull') assert.match(w.message, /pull access denied|unauthorized|authentication required/i);
    await pod('tenant-b', 'b-never', 'Never', []);
    const never = await waiting('tenant-b', 'b-never', ['ErrImageNeverPull']);
    assert.equal(never.message, `Container image "${image}" is not present with pull policy of Never`);
    // A's own Never pod runs it: the record says its Secret pulled it.
    await pod('tenant-a', 'a-never', 'Never', ['pull']);
    await eventually(async () => (await ac.admin.get<K8sObject>(resources.pods, 'tenant-a', 'a-never')).status?.phase === 'Running', 'A\'s Never pod runs', 400, 100);
  });
});
