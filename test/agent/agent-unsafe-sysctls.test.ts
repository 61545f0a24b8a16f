/**
 * --allowed-unsafe-sysctls on a real runc node (root, runc, busybox-static: skipped without them,
 * failed under PORTCULLIS_REQUIRE_ALL=1): net.core.somaxconn (not on upstream's safe list) and a
 * net.ipv4.conf.* pattern given in slash form reach the pod's own network namespace and leave the
 * host's values alone; a sysctl outside the list is still SysctlForbidden.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireRunc } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('the agent on runc');

describe('unsafe sysctls on runc', { skip }, () => {
  let ac: AgentCluster;
  let node: RuncNode | undefined;
  before(async () => {
    ac = await startAgentCluster();
  });
  after(() => stopRuncAgent(node, ac));

  const mkPod = (name: string, sysctls: Array<{ name: string; value: string }>) =>
    ac.admin.create<K8sObject>(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { nodeName: 'node-sysctl', terminationGracePeriodSeconds: 1, securityContext: { sysctls }, containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    });
  const settled = (name: string) => eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return (p.status?.phase === 'Running' || p.status?.phase === 'Failed') && p;
  }, `${name} Running or Failed`, 400, 100);

  async function read(containerID: string, path: string): Promise<string> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (d: Buffer) => chunks.push(d));
    const { exitCode } = await node!.rt.exec(containerID.slice('runc://'.length), { argv: ['cat', path], tty: false, stdout: out, stderr: out });
    assert.equal(exitCode, 0, Buffer.concat(chunks).toString());
    return Buffer.concat(chunks).toString().trim();
  }

  test('allowed unsafe sysctls are set in the pod\'s network namespace; others are SysctlForbidden', async () => {
    node = await startRuncAgent(ac, 'node-sysctl', { agent: { allowedUnsafeSysctls: ['net.core.somaxconn', 'net.ipv4.conf.*'] } });
    const hostSomaxconn = (await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim();
    const value = hostSomaxconn === '1234' ? '1235' : '1234';
    await mkPod('tuned', [{ name: 'net.core.somaxconn', value }, { name: 'net/ipv4/conf/lo/accept_local', value: '1' }]);
    await mkPod('forbidden', [{ name: 'net.core.rmem_max', value: '1048576' }]);

    const tuned = await settled('tuned');
    assert.equal(tuned.status.phase, 'Running', JSON.stringify(tuned.status));
    const id = String(tuned.status.containerStatuses[0].containerID);
    assert.equal(await read(id, '/proc/sys/net/core/somaxconn'), value);
    assert.equal(await read(id, '/proc/sys/net/ipv4/conf/lo/accept_local'), '1');
    assert.equal((await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim(), hostSomaxconn, "the host's value is untouched");

    const forbidden = await settled('forbidden');
    assert.deepEqual([forbidden.status.phase, forbidden.status.reason, forbidden.status.message], ['Failed', 'SysctlForbidden', 'Pod was rejected: forbidden sysctl: "net.core.rmem_max" not allowlisted']);
  });
});
