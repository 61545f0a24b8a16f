/**
 * `portcullis agent` refuses the kubelet flags the kubelet refuses, before it reads its kubeconfig
 * or touches the host (no runc needed to see it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAgent } from './agent.ts';

const run = (...argv: string[]) => runAgent(argv, () => {}, () => { throw new Error('no client expected'); });

test('portcullis agent: --node-labels, --register-with-taints and --pod-max-pids are checked before joining', async () => {
  await assert.rejects(run('--node-labels', 'pool=a,node-role.kubernetes.io/worker='), { message: /^failed to validate kubelet flags: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: \[node-role.kubernetes.io\/worker\]\n/ });
  await assert.rejects(run('--node-labels', 'pool'), { message: 'invalid argument "pool" for "--node-labels" flag: malformed pair, expect string=string' });
  await assert.rejects(run('--register-with-taints', 'a=b:Never'), { message: 'invalid argument "a=b:Never" for "--register-with-taints" flag: invalid taint effect: Never, unsupported taint effect' });
  await assert.rejects(run('--pod-max-pids', 'lots'), { message: 'invalid argument "lots" for "--pod-max-pids" flag: strconv.ParseInt: parsing "lots": invalid syntax' });
});

test('portcullis agent --config: the file\'s errors wrapped as the kubelet\'s, its values checked as the flags are, before joining', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
  try {
    const file = (name: string, body: string) => {
      writeFileSync(join(dir, name), `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n${body}`);
      return join(dir, name);
    };
    const unknown = file('unknown.yaml', 'maxPod: 10\n');
    await assert.rejects(run('--config', unknown), { message: `failed to load kubelet config file, path: ${unknown}, error: strict decoding error: unknown field "maxPod"` });
    await assert.rejects(run('--config', file('taints.yaml', 'registerWithTaints: [{ key: k, effect: Maybe }]\n')), /error: failed to validate kubelet configuration, error: invalid taint: \{k  Maybe <nil>\}$/);
    // The file's eviction thresholds go through the flag's checks.
    await assert.rejects(run('--config', file('eviction.yaml', 'evictionSoft: { memory.available: 1Gi }\n')), /^Error: invalid eviction thresholds/);
    // A flag wins over the file: the file's bad value is not read when the flag is given.
    await assert.rejects(run('--config', file('pids.yaml', 'podPidsLimit: 10\nimageGCHighThresholdPercent: 50\nimageGCLowThresholdPercent: 60\n'), '--image-gc-low-threshold', '40', '--node-labels', 'node-role.kubernetes.io/x='), /unknown 'kubernetes.io' or 'k8s.io' labels/);
    await assert.rejects(run('--config', file('gc.yaml', 'imageGCHighThresholdPercent: 50\nimageGCLowThresholdPercent: 60\n')), { message: 'invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 60 must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 50' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
