import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { ephemeralTargetPid } from './ephemeral-target.ts';
import { containerSpec } from './oci-spec.ts';
import type { ContainerConfig, ContainerStatus, SandboxStatus } from './types.ts';

const pod = { uid: 'u1', namespace: 'ns', name: 'web' };
const sandbox: SandboxStatus = { id: 's1', pod, state: 'ready', createdAt: '', pid: 42, namespaces: { net: '/proc/42/ns/net', ipc: '/proc/42/ns/ipc', uts: '/proc/42/ns/uts' } };

function cfg(container: Container & { targetContainerName?: string }, podSpec: Partial<PodSpec> = {}): ContainerConfig {
  return { pod, podSpec: { containers: [{ name: 'app' }], ...podSpec }, container, attempt: 0, image: { ref: 'busybox', digest: 'sha256:0', config: { Cmd: ['sh'] }, rootfs: '/x' }, env: [], mounts: [] };
}

const status = (name: string, state: ContainerStatus['state'], attempt: number, pid?: number, uid = 'u1'): ContainerStatus => ({
  id: `${name}-${attempt}`, sandboxId: 's1', pod: { ...pod, uid }, name, attempt, imageRef: 'busybox', imageDigest: 'sha256:0', state, createdAt: '', logPath: '/l', ...(pid ? { pid } : {}),
});

test('the target: the pod\'s newest running container of that name; none running is refused, never a PID namespace of its own', async () => {
  const list = async () => [status('app', 'exited', 0), status('app', 'running', 1, 700), status('app', 'running', 0, 9, 'other-pod'), undefined];
  assert.equal(await ephemeralTargetPid(cfg({ name: 'dbg', targetContainerName: 'app' }), list), 700);
  assert.equal(await ephemeralTargetPid(cfg({ name: 'dbg' }), list), undefined);
  // A PID namespace the pod shares already holds the target.
  assert.equal(await ephemeralTargetPid(cfg({ name: 'dbg', targetContainerName: 'app' }, { shareProcessNamespace: true }), list), undefined);
  assert.equal(await ephemeralTargetPid(cfg({ name: 'dbg', targetContainerName: 'app' }, { hostPID: true }), list), undefined);
  await assert.rejects(ephemeralTargetPid(cfg({ name: 'dbg', targetContainerName: 'app' }), async () => [status('app', 'exited', 0)]), /^Error: unable to find target container app$/);
});

test('the OCI spec joins the target\'s PID namespace; without a target the container has its own', () => {
  const user = { uid: 0, gid: 0, additionalGids: [] };
  const pidNs = (targetPid?: number) => containerSpec({ cfg: cfg({ name: 'dbg' }), sandbox, hostname: 'web', user, cgroupsPath: 'p/c', ...(targetPid ? { targetPid } : {}) }).linux.namespaces.find((n) => n.type === 'pid');
  assert.deepEqual(pidNs(700), { type: 'pid', path: '/proc/700/ns/pid' });
  assert.deepEqual(pidNs(), { type: 'pid' });
});
