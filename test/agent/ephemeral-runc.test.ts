/**
 * kubectl 1.33 debug into a real runc pod through the API server and a joined agent's endpoint:
 * the ephemeral container runs in the pod's sandbox and, with --target, in the target container's
 * PID namespace (its /proc/1 is the target's process, ps shows both); kubectl logs and exec reach
 * it by name; `kubectl debug -i` attaches to its stdin. Needs root, runc, nsenter and
 * busybox-static: skipped without them, failed under PORTCULLIS_REQUIRE_ALL=1.
 */
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../src/cluster/client/resources.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { requireBinaries, requireRunc } from '../helpers/real-parts.ts';
import { kubectlPath, kubectlSkip, runKubectl } from '../helpers/kubectl.ts';
import { eventually } from './agent-helpers.ts';
import { BUSYBOX_IMAGE as IMAGE } from './runc-busybox.ts';
import { startStreamingRuncNode, stopStreamingRuncNode, type StreamingRuncNode } from './runc-streaming-node.ts';

const skip = requireRunc('ephemeral containers on runc') || requireBinaries('util-linux', 'nsenter', 'script') || kubectlSkip(33);
const ADDRESS = '127.0.0.8';

describe('kubectl debug: ephemeral containers on runc', { skip }, () => {
  let s: StreamingRuncNode;
  const admin = () => s.ac.admin;
  const kubectl = (args: string[], stdin?: string, timeoutMs?: number) => runKubectl(33, s.kubeconfig, args, stdin, timeoutMs);

  before(async () => {
    s = await startStreamingRuncNode('node-eph', ADDRESS);
    await admin().create(resources.pods, 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'box' },
      spec: { nodeName: 'node-eph', terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3601'] }] },
    });
    await eventually(async () => (await admin().get<K8sObject>(resources.pods, 'default', 'box')).status?.phase === 'Running', 'the pod is Running', 400, 100);
  });

  after(() => stopStreamingRuncNode(s ?? {}));

  const ephStatus = async (name: string) => ((await admin().get<K8sObject>(resources.pods, 'default', 'box')).status?.ephemeralContainerStatuses ?? []).find((s: { name: string }) => s.name === name);

  test('kubectl debug --target: the ephemeral container shares the target\'s PID namespace; logs and exec reach it', async () => {
    const r = await kubectl(['debug', 'box', `--image=${IMAGE}`, '--image-pull-policy=IfNotPresent', '--target=app', '-c', 'dbg', '--', 'sh', '-c', 'echo debugging; exec sleep 3600']);
    assert.equal(r.code, 0, r.stderr);
    const st = await eventually(async () => {
      const x = await ephStatus('dbg');
      return x?.state?.running && x;
    }, 'the ephemeral container runs', 400, 100);
    assert.match(st.containerID, /^runc:\/\//);
    assert.equal(st.ready, false);
    const logs = await eventually(async () => {
      const l = await kubectl(['logs', 'box', '-c', 'dbg']);
      return l.stdout === 'debugging\n' && l;
    }, 'kubectl logs shows its output', 30, 200);
    assert.equal(logs.code, 0);
    // PID 1 of its PID namespace is the target's process, and ps shows both.
    const init = await kubectl(['exec', 'box', '-c', 'dbg', '--', 'cat', '/proc/1/cmdline']);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.stdout, 'sleep\x003601\x00');
    const ps = await kubectl(['exec', 'box', '-c', 'dbg', '--', 'ps', '-o', 'pid,args']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^\s*1 sleep 3601$/m);
    assert.match(ps.stdout, /sleep 3600$/m);
    // Its network is the pod's (same UTS namespace: same hostname as the app container).
    const [h1, h2] = await Promise.all(['app', 'dbg'].map((c) => kubectl(['exec', 'box', '-c', c, '--', 'hostname'])));
    assert.equal(h2!.stdout, h1!.stdout);
    // The target container itself still sees only its own process tree's PID 1.
    const own = await kubectl(['exec', 'box', '-c', 'app', '--', 'cat', '/proc/1/cmdline']);
    assert.equal(own.stdout, 'sleep\x003601\x00');
  });

  test('kubectl debug -i attaches to the ephemeral container\'s stdin; once it exits it is not restarted', async () => {
    const r = await kubectl(['debug', '-i', 'box', `--image=${IMAGE}`, '--image-pull-policy=IfNotPresent', '--target=app', '-c', 'dbg2', '--', 'sh'], 'tr "\\0" " " < /proc/1/cmdline; echo; exit 3\n', 60_000);
    assert.match(r.stdout, /^sleep 3601 $/m, `${r.stdout}\n${r.stderr}`);
    const done = await eventually(async () => {
      const st = await ephStatus('dbg2');
      return st?.state?.terminated && st;
    }, 'the ephemeral container exited', 100, 100);
    assert.equal(done.state.terminated.exitCode, 3);
    assert.equal(done.restartCount, 0);
    const ids = (await s.node.rt.list()).containers.filter((c) => c.pod.name === 'box' && c.name === 'dbg2');
    assert.equal(ids.length, 1);
  });

  test('kubectl debug -it (a terminal from script(1)): the shell in the ephemeral container gets a TTY and sees the target\'s processes', async () => {
    // script gives kubectl a pseudo-terminal, so -t is kept and the attach carries a TTY and its size.
    const cmd = `${kubectlPath(33)} debug -it box --image=${IMAGE} --image-pull-policy=IfNotPresent --target=app -c dbg3 -- sh`;
    const input = 'tty; tr "\\0" " " < /proc/1/cmdline; echo; exit 4\n';
    const r = await runScript(cmd, s.kubeconfig, input);
    assert.match(r, /^\/dev\/pts\/\d+\r?$/m, r);
    assert.match(r, /^sleep 3601 \r?$/m, r);
    const done = await eventually(async () => {
      const st = await ephStatus('dbg3');
      return st?.state?.terminated && st;
    }, 'the ephemeral container exited', 100, 100);
    assert.equal(done.state.terminated.exitCode, 4);
  });
});

/** Runs `cmd` under script(1) (a pseudo-terminal), writing `input` once the remote shell can read it; its output. */
function runScript(cmd: string, kubeconfig: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: process.env.HOME ?? '/tmp' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      // kubectl says so once attached; the shell's prompt may not come before input.
      if (!sent && /If you don't see a command prompt|# $/.test(out)) {
        sent = true;
        child.stdin.write(input);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
