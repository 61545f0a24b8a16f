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
