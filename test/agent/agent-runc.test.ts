/**
 * The agent end to end on the real runtime: runc (Debian), a busybox image imported into the
 * node's image store. A pod bound to the node runs; its log shows its output with the env the
 * agent resolved through the API ($(VAR) expanded by the runtime); deleting it stops the
 * container within the grace period and the agent removes the pod. Needs root, runc and
 * busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage } from '../../src/image-policy/oci/build.ts';
import { busyboxRootfs } from '../../src/cluster/agent/runtime/busybox-rootfs.ts';
import { ImageStore } from '../../src/cluster/agent/runtime/image-store.ts';
import { RuncRuntime } from '../../src/cluster/agent/runtime/runc.ts';
import { removeEverything } from '../../src/cluster/agent/node-runtime.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { isNotFound } from '../../src/cluster/client/errors.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireBinaries, requirePart, requireRoot } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';

const skip = requireRoot('the agent on runc') || requireBinaries('runc', 'runc') || requirePart('/bin/busybox (Debian package busybox-static)', existsSync('/bin/busybox'));

describe('node agent on runc', { skip }, () => {
  let ac: AgentCluster;
  let rt: RuncRuntime;
  const IMAGE = 'portcullis.local/bb:v1';

  before(async () => {
    ac = await startAgentCluster();
    const work = join(ac.dir, 'node-runc');
    const ctx = await busyboxRootfs(join(work, 'ctx'));
    await buildImage({ contextDir: ctx.rootfs, outputDir: join(work, 'bb.oci'), refName: 'v1', cmd: ['sh'], env: ['PATH=/bin'] });
    const images = new ImageStore({ root: join(work, 'runtime') });
    await images.importLayout(join(work, 'bb.oci'), IMAGE);
    rt = new RuncRuntime({ stateRoot: join(work, 'runtime') });
    await ac.start('node-runc', { dataDir: work, runtime: rt, images, runtimeScheme: 'runc' });
  });

  after(async () => {
    if (rt) {
      await removeEverything(rt);
      rt.close();
    }
    await ac?.close();
  });

  test('a pod runs under runc, its log shows its output, and a delete stops it within the grace period', async () => {
    await ac.admin.create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello' },
      spec: {
        nodeName: 'node-runc', terminationGracePeriodSeconds: 30,
        containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo hello from $(POD_NAME) on $(NODE); exec sleep 3600'], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] }],
      },
    });
    const pod = await eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'hello');
      return p.status?.phase === 'Running' && p;
    }, 'the pod is Running', 400, 100);
    const cs = pod.status.containerStatuses[0];
    assert.match(cs.containerID, /^runc:\/\//);
    assert.equal(cs.ready, true);
    const st = await rt.containerStatus(cs.containerID.slice('runc://'.length));
    assert.equal(st?.state, 'running');
    await eventually(async () => existsSync(st!.logPath) && readFileSync(st!.logPath, 'utf8').includes('hello from hello on node-runc'), 'the log shows the output');
    assert.match(readFileSync(st!.logPath, 'utf8'), /^\S+ stdout F hello from hello on node-runc$/m);

    await ac.admin.delete(resources.pods, 'default', 'hello', { gracePeriodSeconds: 1 });
    await eventually(async () => {
      try {
        await ac.admin.get(resources.pods, 'default', 'hello');
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    }, 'the pod is gone', 400, 100);
    assert.equal(await rt.containerStatus(st!.id), undefined, 'the container was removed');
  });
});
