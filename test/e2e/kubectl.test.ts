import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterPerFile } from '../helpers/cluster.ts';
import { kubectlSkip, runKubectl, streamKubectl, type Run } from '../helpers/kubectl.ts';

/**
 * A scripted kubectl session against a real Portcullis, on the oldest and newest kubectl we
 * support. Each step checks what kubectl prints, as a user would see it.
 */
const c = clusterPerFile();

const deployment = (ns: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
`;

for (const minor of [27, 33]) {
  const skip = kubectlSkip(minor);
  describe(`kubectl 1.${minor}`, { skip }, () => {
    const ns = `e2e-${minor}`;
    const k = (args: string[], stdin?: string): Promise<Run> => runKubectl(minor, join(c.dataDir, 'admin.kubeconfig'), args, stdin);
    const ok = async (args: string[], stdin?: string): Promise<string> => {
      const r = await k(args, stdin);
      assert.equal(r.code, 0, `kubectl ${args.join(' ')}\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };

    test('version, api-resources, auth whoami', async () => {
      const v = await ok(['version', '-o', 'json']);
      assert.equal(JSON.parse(v).serverVersion.major, '1');
      const res = await ok(['api-resources']);
      assert.match(res, /^pods\s+po\s+v1\s+true\s+Pod$/m);
      assert.match(res, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      const who = await ok(['auth', 'whoami']);
      assert.match(who, /Username\s+admin/);
    });

    test('create namespace and typed objects (protobuf bodies)', async () => {
      assert.match(await ok(['create', 'namespace', ns]), new RegExp(`namespace/${ns} created`));
      assert.match(await ok(['-n', ns, 'create', 'configmap', 'cfg', '--from-literal=a=1']), /configmap\/cfg created/);
      assert.match(await ok(['-n', ns, 'create', 'secret', 'generic', 'sec', '--from-literal=p=x']), /secret\/sec created/);
      assert.match(await ok(['-n', ns, 'create', 'serviceaccount', 'robot']), /serviceaccount\/robot created/);
      assert.match(await ok(['-n', ns, 'create', 'role', 'reader', '--verb=get,list', '--resource=pods']), /role.rbac.authorization.k8s.io\/reader created/);
      assert.match(await ok(['-n', ns, 'create', 'rolebinding', 'rb', '--role=reader', '--user=bob']), /rolebinding.rbac.authorization.k8s.io\/rb created/);
      assert.match(await ok(['-n', ns, 'create', 'quota', 'q', '--hard=pods=10']), /resourcequota\/q created/);
      assert.match(await ok(['-n', ns, 'create', 'job', 'j', '--image=busybox']), /job.batch\/j created/);
      assert.match(await ok(['-n', ns, 'create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *']), /cronjob.batch\/cj created/);
      assert.match(await ok(['-n', ns, 'create', 'deployment', 'typed', '--image=nginx']), /deployment.apps\/typed created/);
      const dry = await ok(['-n', ns, 'create', 'configmap', 'dry', '--from-literal=a=1', '--dry-run=server', '-o', 'name']);
      assert.match(dry, /configmap\/dry/);
      const gone = await k(['-n', ns, 'get', 'configmap', 'dry']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /Error from server \(NotFound\): configmaps "dry" not found/);
    });

    test('apply twice, then server-side apply', async () => {
      assert.match(await ok(['apply', '-f', '-'], deployment(ns)), /deployment.apps\/web created/);
      assert.match(await ok(['apply', '-f', '-'], deployment(ns)), /deployment.apps\/web unchanged/);
      const changed = deployment(ns).replace('replicas: 2', 'replicas: 3');
      assert.match(await ok(['apply', '-f', '-'], changed), /deployment.apps\/web configured/);
      const ssa = deployment(ns).replace('name: web', 'name: web-ssa');
      assert.match(await ok(['apply', '--server-side', '-f', '-'], ssa), /deployment.apps\/web-ssa serverside-applied/);
      const y = await ok(['-n', ns, 'get', 'deploy', 'web', '-o', 'yaml']);
      assert.match(y, /kubectl.kubernetes.io\/last-applied-configuration/);
      assert.match(y, /replicas: 3/);
    });

    test('get in its output formats', async () => {
      const table = await ok(['-n', ns, 'get', 'deployments']);
      assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
      assert.match(table, /^web\s+0\/3\s+0\s+0\s+\S+$/m);
      const wide = await ok(['-n', ns, 'get', 'deployments', '-o', 'wide']);
      assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
      const json = JSON.parse(await ok(['-n', ns, 'get', 'configmap', 'cfg', '-o', 'json']));
      assert.deepEqual(json.data, { a: '1' });
      const all = await ok(['get', 'namespaces', '-A', '--show-labels']);
      assert.match(all, new RegExp(`^${ns}\\s+Active\\s+\\S+\\s+kubernetes.io/metadata.name=${ns}$`, 'm'));
      const sel = await ok(['-n', ns, 'get', 'deploy', '-l', 'app=web', '-o', 'name']);
      assert.deepEqual(sel.trim().split('\n'), ['deployment.apps/web', 'deployment.apps/web-ssa']);
      const none = await ok(['-n', ns, 'get', 'deploy', '-l', 'app!=web', '-o', 'name']);
      assert.deepEqual(none.trim().split('\n'), ['deployment.apps/typed']);
      const cms = await ok(['get', 'configmaps', '-A']);
      assert.match(cms, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
    });

    test('label, annotate, patch, scale, describe', async () => {
      assert.match(await ok(['-n', ns, 'label', 'configmap', 'cfg', 'tier=backend']), /configmap\/cfg labeled/);
      // kubectl 1.27 prints "annotate", later versions "annotated".
      assert.match(await ok(['-n', ns, 'annotate', 'configmap', 'cfg', 'note=hello']), /configmap\/cfg annotated?/);
      assert.match(await ok(['-n', ns, 'patch', 'configmap', 'cfg', '-p', '{"data":{"b":"2"}}']), /configmap\/cfg patched/);
      assert.match(await ok(['-n', ns, 'patch', 'configmap', 'cfg', '--type=json', '-p', '[{"op":"add","path":"/data/c","value":"3"}]']), /configmap\/cfg patched/);
      assert.match(await ok(['-n', ns, 'scale', 'deployment', 'web', '--replicas=5']), /deployment.apps\/web scaled/);
      const d = await ok(['-n', ns, 'describe', 'deployment', 'web']);
      assert.match(d, /^Replicas:\s+5 desired/m);
      const cm = JSON.parse(await ok(['-n', ns, 'get', 'cm', 'cfg', '-o', 'json']));
      assert.deepEqual(cm.data, { a: '1', b: '2', c: '3' });
      assert.equal(cm.metadata.labels.tier, 'backend');
    });

    test('explain', async () => {
      const e = await ok(['explain', 'deployment.spec.replicas']);
      assert.match(e, /replicas/);
      assert.match(e, /desired pods/i);
    });

    test('errors print like upstream', async () => {
      const invalidPod = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ${ns}}\nspec:\n  containers:\n  - name: c\n`;
      const inv = await k(['create', '-f', '-', '--validate=false'], invalidPod);
      assert.notEqual(inv.code, 0);
      assert.match(inv.stderr, /The Pod "p" is invalid: spec.containers\[0\].image: Required value/);
      const dup = await k(['create', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: ${ns}}\n`);
      assert.match(dup.stderr, /Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "cfg" already exists/);
      const nf = await k(['-n', ns, 'get', 'pod', 'nope']);
      assert.match(nf.stderr, /Error from server \(NotFound\): pods "nope" not found/);
      // bob holds the "reader" role through the "rb" binding created above; carl holds nothing.
      const bob = await k(['-n', ns, 'get', 'pods', '--as', 'bob']);
      assert.equal(bob.code, 0, bob.stderr);
      const carl = await k(['-n', ns, 'get', 'pods', '--as', 'carl']);
      assert.match(carl.stderr, /Error from server \(Forbidden\): pods is forbidden: User "carl" cannot list resource "pods" in API group "" in the namespace "e2e-\d+"/);
      assert.equal((await k(['-n', ns, 'auth', 'can-i', 'list', 'pods', '--as', 'bob'])).stdout.trim(), 'yes');
      assert.equal((await k(['-n', ns, 'auth', 'can-i', 'delete', 'pods', '--as', 'bob'])).stdout.trim(), 'no');
      // A user who may manage roles still cannot grant what they do not hold (escalation prevention).
      await ok(['-n', ns, 'create', 'role', 'role-admin', '--verb=create,get', '--resource=roles.rbac.authorization.k8s.io']);
      await ok(['-n', ns, 'create', 'rolebinding', 'dana-roles', '--role=role-admin', '--user=dana']);
      const esc = await k(['-n', ns, 'create', 'role', 'too-much', '--verb=delete', '--resource=pods', '--as', 'dana']);
      assert.notEqual(esc.code, 0);
      assert.match(esc.stderr, /is forbidden: user "dana" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held/);
    });

    test('watch prints changes', async () => {
      // The object exists before the watch starts, so the initial list prints it with DATA 0; the
      // line with DATA 2 can only come from the change made after that list was printed.
      await ok(['-n', ns, 'create', 'configmap', 'watched']);
      const w = streamKubectl(minor, join(c.dataDir, 'admin.kubeconfig'), ['-n', ns, 'get', 'configmaps', '-w', '--request-timeout=20s']);
      try {
        await w.waitFor(/^watched\s+0\s+\S+$/m);
        assert.doesNotMatch(w.stdout(), /^watched\s+2\s/m);
        await ok(['-n', ns, 'patch', 'configmap', 'watched', '--type=merge', '-p', '{"data":{"a":"1","b":"2"}}']);
        await w.waitFor(/^watched\s+2\s+\S+$/m);
      } finally {
        w.kill();
      }
    });

    test('delete with and without finalizers, --wait', async () => {
      assert.match(await ok(['-n', ns, 'delete', 'configmap', 'watched']), /configmap "watched" deleted/);
      await ok(['-n', ns, 'create', 'configmap', 'held']);
      await ok(['-n', ns, 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
      const nowait = await ok(['-n', ns, 'delete', 'configmap', 'held', '--wait=false']);
      assert.match(nowait, /configmap "held" deleted/);
      const still = JSON.parse(await ok(['-n', ns, 'get', 'configmap', 'held', '-o', 'json']));
      assert.ok(still.metadata.deletionTimestamp);
      const waiter = k(['-n', ns, 'delete', 'configmap', 'held', '--wait=true', '--timeout=20s']);
      await new Promise((r) => setTimeout(r, 500));
      await ok(['-n', ns, 'patch', 'configmap', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      const done = await waiter;
      assert.equal(done.code, 0, done.stderr);
      assert.match((await k(['-n', ns, 'get', 'configmap', 'held'])).stderr, /NotFound/);
      assert.match(await ok(['delete', 'namespace', ns, '--timeout=30s']), new RegExp(`namespace "${ns}" deleted`));
    });
  });
}
