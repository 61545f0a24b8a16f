import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { requirePart } from '../helpers/kubectl.ts';

/** Debian's python3-kubernetes client lists and creates objects (it runs under the system python3). */
const PYTHON = '/usr/bin/python3';
const hasClient = spawnSync(PYTHON, ['-c', 'import kubernetes'], { encoding: 'utf8' }).status === 0;
const skip = requirePart('python3-kubernetes (apt-get install python3-kubernetes)', hasClient);

let c: TestCluster;
before(async () => {
  if (!skip) c = await startTestCluster();
});
after(async () => {
  if (c) await c.close();
});

const SCRIPT = `
import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
names = [n.metadata.name for n in v1.list_namespace().items]
assert 'kube-system' in names, names
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name='from-python', labels={'lang': 'py'}), data={'a': 'b'})
made = v1.create_namespaced_config_map('default', cm)
print('created', made.metadata.name, made.metadata.resource_version)
got = v1.list_namespaced_config_map('default', label_selector='lang=py')
print('listed', ','.join(i.metadata.name for i in got.items))
apps = client.AppsV1Api()
dep = client.V1Deployment(metadata=client.V1ObjectMeta(name='py-deploy'), spec=client.V1DeploymentSpec(
    selector=client.V1LabelSelector(match_labels={'app': 'py'}),
    template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={'app': 'py'}),
        spec=client.V1PodSpec(containers=[client.V1Container(name='c', image='nginx')]))))
d = apps.create_namespaced_deployment('default', dep)
print('deployment', d.metadata.name, d.spec.replicas)
try:
    v1.read_namespaced_config_map('missing', 'default')
except client.exceptions.ApiException as e:
    print('missing', e.status)
`;

function runPython(script: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Asynchronously: the server under test runs in this process and must keep answering.
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-c', script, join(c.dataDir, 'admin.kubeconfig')], { timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('python3-kubernetes lists and creates', { skip }, async () => {
  const r = await runPython(SCRIPT);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^created from-python \d+$/m);
  assert.match(r.stdout, /^listed from-python$/m);
  assert.match(r.stdout, /^deployment py-deploy 1$/m);
  assert.match(r.stdout, /^missing 404$/m);
});

/** The Python client sends watch=True (capitalised): it must get a stream of events, not a list. */
const WATCH_SCRIPT = `
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
v1.create_namespaced_config_map('default', client.V1ConfigMap(metadata=client.V1ObjectMeta(name='py-watched')))
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_config_map, 'default', field_selector='metadata.name=py-watched', timeout_seconds=10):
    print('event', ev['type'], ev['object'].metadata.name)
    w.stop()
print('done')
`;

test('python3-kubernetes watches see events', { skip }, async () => {
  const r = await runPython(WATCH_SCRIPT);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^event ADDED py-watched$/m);
});
