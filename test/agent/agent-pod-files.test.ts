/**
 * The files the agent gives every container besides its volumes, on the real runtime (root, runc,
 * busybox, the pod network in a network namespace of the test's): /etc/hosts with the pod's IP,
 * hostname, FQDN and spec.hostAliases (the node's own file for a host-network pod), /etc/hostname
 * and the FQDN as hostname with setHostnameAsFQDN (a too long one fails the sandbox with upstream's
 * event), and the termination message a container writes to /dev/termination-log, or with
 * FallbackToLogsOnError its log's tail, in its terminated state; /etc/resolv.conf, the pod's own
 * file, writable without readOnlyRootFilesystem.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { managedHostsFileContent } from '../../src/cluster/agent/etc-hosts.ts';
import { Namespaces } from '../helpers/netns.ts';
import { requireBinaries, requireRunc } from '../helpers/real-parts.ts';
import { startAgentCluster, eventually, type AgentCluster } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE, startRuncAgent, stopRuncAgent, type RuncNode } from './runc-busybox.ts';

const skip = requireRunc('the agent\'s pod files on runc') || requireBinaries('nftables', 'nft') || requireBinaries('util-linux', 'nsenter');
const NODE = 'node-files';

describe('hosts, hostname and termination messages on runc', { skip }, () => {
  let ac: AgentCluster;
  let ns: Namespaces;
  let node: RuncNode | undefined;

  before(async () => {
    ns = new Namespaces();
    const netns = ns.add('pcfiles');
    ac = await startAgentCluster();
    node = await startRuncAgent(ac, NODE, { network: { netns, podCIDR: '10.244.11.0/24' } });
  });

  after(async () => {
    try {
      await stopRuncAgent(node, ac);
    } finally {
      ns?.destroy();
    }
  });

  const create = (name: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}) => ac.admin.create(resources.pods, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { nodeName: NODE, restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, imagePullPolicy: 'IfNotPresent', ...container }], ...spec },
  } as K8sObject);
  const finished = (name: string) => eventually(async () => {
    const p = await ac.admin.get<K8sObject>(resources.pods, 'default', name);
    return ['Succeeded', 'Failed'].includes(p.status?.phase) && p;
  }, `${name} finished`, 600, 100);
  const output = (name: string) => {
    const dirs = readdirSync(join(ac.dir, NODE, 'runtime', 'logs')).filter((d) => d.startsWith(`default_${name}_`));
    assert.equal(dirs.length, 1);
    // Each record one line of the output, as the container wrote it.
    return readFileSync(join(ac.dir, NODE, 'runtime', 'logs', dirs[0]!, 'c', '0.log'), 'utf8').split('\n').filter(Boolean).map((l) => `${l.replace(/^\S+ stdout F /, '')}\n`).join('');
  };

  test('a pod reads its IP, FQDN and hostAliases from /etc/hosts and its FQDN as hostname; a host-network pod the node\'s hosts and its aliases', async () => {
    const aliases = [{ ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }, { ip: '127.0.0.1', hostnames: ['foo.local'] }];
    await create('named', { command: ['sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/hostname; hostname'] }, {
      hostname: 'db', subdomain: 'sub', setHostnameAsFQDN: true,
      hostAliases: aliases,
    });
    const pod = await finished('named');
    assert.equal(pod.status?.phase, 'Succeeded');
    const ip = pod.status?.podIP as string;
    assert.match(ip, /^10\.244\.11\.\d+$/);
    // The file's exact text is pinned by etc-hosts.test.ts.
    assert.equal(output('named'), `${managedHostsFileContent([ip], 'db', 'sub.default.svc.cluster.local', aliases)}---\ndb.sub.default.svc.cluster.local\ndb.sub.default.svc.cluster.local\n`);
    assert.ok(output('named').includes(`\n${ip}\tdb.sub.default.svc.cluster.local\tdb\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n127.0.0.1\tfoo.local\n---\n`));

    await create('hostnet', { command: ['cat', '/etc/hosts'] }, { hostNetwork: true, hostAliases: [{ ip: '10.9.9.9', hostnames: ['registry.local'] }] });
    assert.equal((await finished('hostnet')).status?.phase, 'Succeeded');
    assert.equal(output('hostnet'), `# Kubernetes-managed hosts file (host network).\n${readFileSync('/etc/hosts', 'utf8')}\n# Entries added by HostAliases.\n10.9.9.9\tregistry.local\n`);
  });

  test('/etc/resolv.conf is the pod\'s own file in its directory, writable as containerd mounts it, read-only with readOnlyRootFilesystem', async () => {
    await create('writes-resolv', { command: ['sh', '-c', 'echo "options edns0" >> /etc/resolv.conf && cat /etc/resolv.conf'] });
    const pod = await finished('writes-resolv');
    assert.equal(pod.status?.phase, 'Succeeded');
    const want = 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\noptions edns0\n';
    assert.equal(output('writes-resolv'), want);
    // The pod's own copy, where its ephemeral storage is counted (pod-managed-files.ts WRITABLE_FILES).
    assert.equal(readFileSync(join(node!.work, 'pods', pod.metadata.uid ?? '', 'resolv.conf'), 'utf8'), want);

    await create('ro-resolv', { command: ['sh', '-c', 'echo "options edns0" >> /etc/resolv.conf'], securityContext: { readOnlyRootFilesystem: true } });
    const ro = (await finished('ro-resolv')).status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(ro?.exitCode, 1);
    assert.match(output('ro-resolv'), /Read-only file system/);
  });

  test('an FQDN longer than the kernel\'s 64 characters fails the sandbox with upstream\'s event; the pod stays ContainerCreating', async () => {
    const hostname = 'h'.repeat(40);
    await create('long-fqdn', { command: ['true'] }, { hostname, subdomain: 'sub', setHostnameAsFQDN: true });
    const fqdn = `${hostname}.sub.default.svc.cluster.local`;
    const event = await eventually(async () => (await ac.admin.list<K8sObject>(resources.events, 'default', { fieldSelector: 'involvedObject.name=long-fqdn' })).items.find((e) => e.reason === 'FailedCreatePodSandBox'), 'the FailedCreatePodSandBox event', 400, 100);
    assert.equal(event.type, 'Warning');
    assert.equal(event.message, `Failed to create pod sandbox: failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (64 characters is the max, ${fqdn.length} characters requested)`);
    const pod = await ac.admin.get<K8sObject>(resources.pods, 'default', 'long-fqdn');
    assert.equal(pod.status?.phase, 'Pending');
    assert.deepEqual(pod.status?.containerStatuses?.[0]?.state, { waiting: { reason: 'ContainerCreating' } });
  });

  test('what a container writes to /dev/termination-log (as a non-root user, on a read-only root too) is its terminated state\'s message; FallbackToLogsOnError takes the log\'s tail', async () => {
    await create('says-bye', { command: ['sh', '-c', 'printf "bye from $(id -u)" > /dev/termination-log; echo not this; exit 1'], securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true } });
    const bye = (await finished('says-bye')).status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(bye?.exitCode, 1);
    assert.equal(bye?.reason, 'Error');
    assert.equal(bye?.message, 'bye from 1000');

    await create('custom-path', { command: ['sh', '-c', 'printf done > /tmp/msg'], terminationMessagePath: '/tmp/msg' });
    assert.equal((await finished('custom-path')).status?.containerStatuses?.[0]?.state?.terminated?.message, 'done');

    await create('falls-back', { command: ['sh', '-c', 'echo first; echo second; exit 3'], terminationMessagePolicy: 'FallbackToLogsOnError' });
    const fb = (await finished('falls-back')).status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(fb?.exitCode, 3);
    assert.equal(fb?.message, 'first\nsecond\n');

    // Each instance its own file: a restarted container starts with an empty one; the last instance's message in lastState.
    await create('restarts', { command: ['sh', '-c', 'printf "was [$(cat /dev/termination-log)]" > /dev/termination-log; exit 1'] }, { restartPolicy: 'OnFailure' });
    const looping = await eventually(async () => {
      const p = await ac.admin.get<K8sObject>(resources.pods, 'default', 'restarts');
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs;
    }, 'restarts in CrashLoopBackOff', 600, 100);
    assert.equal(looping.restartCount, 1);
    assert.deepEqual([looping.lastState.terminated.exitCode, looping.lastState.terminated.message], [1, 'was []']);

    // Succeeded: no fallback, no message.
    await create('quiet', { command: ['sh', '-c', 'echo only a log'], terminationMessagePolicy: 'FallbackToLogsOnError' });
    const quiet = (await finished('quiet')).status?.containerStatuses?.[0]?.state?.terminated;
    assert.equal(quiet?.exitCode, 0);
    assert.equal(quiet?.message, undefined);
  });
});
