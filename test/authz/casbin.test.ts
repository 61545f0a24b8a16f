/**
 * The Casbin authorization mode through a real API server: each example in policies/casbin, the
 * reason as SubjectAccessReview returns it, the order of the union (a deny list before RBAC
 * beats its allow, after RBAC it does not), a ConfigMap policy reloaded with a bad update kept
 * at the last good one, and a bad model stopping `portcullis up` with exit code 1.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { examplePaths } from '../../src/authz/casbin/testing.ts';
import { runWhoCan } from '../../src/cli/who-can.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis');

function pod(name: string) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

async function namespace(c: TestCluster, name: string, labels: Record<string, string>) {
  const r = await c.admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  assert.equal(r.status, 201, r.text);
}

/** SubjectAccessReview as the admin: the union's decision and reason for this user. */
async function review(c: TestCluster, user: string, groups: string[], attrs: Record<string, string>) {
  const r = await c.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, groups, resourceAttributes: attrs } });
  assert.equal(r.status, 201, r.text);
  return r.body.status as { allowed: boolean; denied?: boolean; reason?: string };
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never: ${what}`);
}

test('ABAC by namespace labels: a team acts where the namespace labels say, and a relabel takes effect', async () => {
  const c = await startTestCluster({ authorizationModes: ['Node', 'RBAC', 'Casbin'], authorizationFiles: { casbin: { ...examplePaths('abac-namespace-labels'), policyFile: examplePaths('abac-namespace-labels').policy } } });
  try {
    await namespace(c, 'a1', { team: 'a' });
    await namespace(c, 'b1', { team: 'b' });
    const ann = c.as('ann', ['team-a']);
    assert.equal((await ann.post('/api/v1/namespaces/a1/pods', pod('p'))).status, 201);
    const refused = await ann.post('/api/v1/namespaces/b1/pods', pod('p'));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.message, 'pods is forbidden: User "ann" cannot create resource "pods" in API group "" in the namespace "b1"');
    const s = await review(c, 'ann', ['team-a'], { namespace: 'a1', verb: 'create', resource: 'pods' });
    assert.equal(s.allowed, true);
    assert.equal(s.reason, `Casbin: allowed by ${examplePaths('abac-namespace-labels').policy}:2 (p, group:team-a, team=a, *, , pods) for group:team-a`);
    // kubectl auth can-i --list: RBAC's rules (system:basic-user and friends), then Casbin's lines for this namespace.
    // (Asynchronous: the server runs in this process.)
    const kubectl = (ns: string) => execFileP('kubectl', ['auth', 'can-i', '--list', '-n', ns, '--as', 'ann', '--as-group', 'team-a', '--as-group', 'system:authenticated'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: join(c.dataDir, 'admin.kubeconfig') }, timeout: 30_000 });
    const list = await kubectl('a1').catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      return undefined;
    });
    if (!list) {
      if (process.env.PORTCULLIS_REQUIRE_ALL === '1') assert.fail('kubectl is required (PORTCULLIS_REQUIRE_ALL=1)');
    } else {
      assert.match(list.stdout, /\npods\s+\[\]\s+\[\]\s+\[\*\]\n/);
      assert.match(list.stdout, /\ndeployments\.apps\s+\[\]\s+\[\]\s+\[\*\]\n/);
      assert.match(list.stdout, /\nconfigmaps\s+\[\]\s+\[\]\s+\[get\]\n/);
      assert.match(list.stdout, /selfsubjectaccessreviews\.authorization\.k8s\.io/, 'RBAC\'s rules are listed too');
      assert.doesNotMatch((await kubectl('b1')).stdout, /\npods\s/);
    }
    assert.equal((await c.admin.patch('/api/v1/namespaces/b1', { metadata: { labels: { team: 'a' } } }, 'application/merge-patch+json')).status, 200);
    await eventually('b1 relabelled team=a is team a\'s', async () => (await ann.post('/api/v1/namespaces/b1/pods', pod(`p${Math.random().toString(36).slice(2, 8)}`))).status === 201);
  } finally {
    await c.close();
  }
});

const DENY_LIST = examplePaths('deny-list');

for (const order of [['Node', 'Casbin', 'RBAC'], ['Node', 'RBAC', 'Casbin']] as const) {
  const casbinFirst = order[1] === 'Casbin';
  test(`deny list ${casbinFirst ? 'before' : 'after'} RBAC: a deny ${casbinFirst ? 'beats' : 'does not beat'} an RBAC allow`, async () => {
    const c = await startTestCluster({ authorizationModes: [...order], authorizationFiles: { casbin: { model: DENY_LIST.model, policyFile: DENY_LIST.policy } } });
    try {
      const crb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'contractors-admin' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'contractors', apiGroup: 'rbac.authorization.k8s.io' }] };
      assert.equal((await c.admin.post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb)).status, 201);
      const carl = c.as('carl', ['contractors']);
      await eventually('the binding is in force', async () => (await carl.get('/api/v1/namespaces/default/pods')).status === 200);
      const secrets = await carl.get('/api/v1/namespaces/default/secrets');
      const s = await review(c, 'carl', ['contractors'], { namespace: 'default', verb: 'list', resource: 'secrets' });
      if (casbinFirst) {
        assert.equal(secrets.status, 403);
        assert.deepEqual([s.allowed, s.denied], [false, true]);
        assert.equal(s.reason, `Casbin: denied by ${DENY_LIST.policy}:4 (p, group:contractors, *, list, secrets, deny) for group:contractors`);
      } else {
        assert.equal(secrets.status, 200);
        assert.equal(s.allowed, true);
        assert.match(s.reason ?? '', /^RBAC: allowed by ClusterRoleBinding "contractors-admin"/);
      }
      if (casbinFirst) {
        // portcullis who-can: RBAC's subjects, then the Casbin principals with the deciding line.
        let text = '';
        assert.equal(await runWhoCan(['list', 'secrets', '-n', 'default', '--data-dir', c.dataDir, '--casbin-model', DENY_LIST.model, '--casbin-policy', DENY_LIST.policy], (s) => (text += s)), 0);
        assert.match(text, /contractors\s+Group\s+<none>\s+ClusterRoleBinding\/contractors-admin\s+ClusterRole\/cluster-admin\n/);
        assert.match(text, new RegExp(`\\nPRINCIPAL\\s+DECISION\\s+LINE\\ngroup:contractors\\s+deny\\s+${DENY_LIST.policy.replace(/[.]/g, '\\.')}:4 \\(p, group:contractors, \\*, list, secrets, deny\\)\\n$`));
      }
      // What the deny list does not name is RBAC's to decide either way.
      assert.equal((await c.as('dana', []).get('/api/v1/namespaces/default/secrets')).status, 403);
    } finally {
      await c.close();
    }
  });
}

test('time of day: the injected clock opens and closes the window; the freeze denies', async () => {
  const paths = examplePaths('time-of-day');
  let now = new Date('2026-12-07T10:00:00Z'); // a Monday
  const c = await startTestCluster({ authorizationModes: ['Node', 'RBAC', 'Casbin'], authorizationFiles: { casbin: { model: paths.model, policyFile: paths.policy, now: () => now } } });
  try {
    const dee = c.as('dee', ['deployers']);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
    assert.equal((await dee.post('/apis/apps/v1/namespaces/default/deployments', dep)).status, 201);
    now = new Date('2026-12-07T20:00:00Z');
    assert.equal((await dee.get('/apis/apps/v1/namespaces/default/deployments/web')).status, 403);
    now = new Date('2026-12-11T16:30:00Z'); // Friday, in the freeze
    const s = await review(c, 'dee', ['deployers'], { namespace: 'default', verb: 'delete', resource: 'deployments', group: 'apps' });
    assert.deepEqual([s.allowed, s.denied, s.reason], [false, true, `Casbin: denied by ${paths.policy}:7 (p, group:deployers, 16:00, 24:00, ^Fri$, delete, *, deny) for group:deployers`]);
    assert.equal((await dee.delete('/apis/apps/v1/namespaces/default/deployments/web')).status, 403);
  } finally {
    await c.close();
  }
});

test('a policy in a ConfigMap: loaded at start, reloaded on update, a bad update kept at the last good policy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-casbin-'));
  const model = join(dir, 'model.conf');
  writeFileSync(model, '[request_definition]\nr = sub, verb, resource\n[policy_definition]\np = sub, verb, resource\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && r.verb == p.verb && r.resource == p.resource\n');
  const c = await startTestCluster({ authorizationModes: ['Node', 'RBAC', 'Casbin'], authorizationFiles: { casbin: { model, policyConfigMap: 'casbin-policy' } } });
  try {
    const eve = c.as('eve');
    assert.equal((await eve.get('/api/v1/namespaces/default/configmaps')).status, 403);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'casbin-policy', namespace: 'kube-system' }, data: { 'policy.csv': 'p, user:eve, list, configmaps\n' } };
    assert.equal((await c.admin.post('/api/v1/namespaces/kube-system/configmaps', cm)).status, 201);
    await eventually('the created policy is loaded', async () => (await eve.get('/api/v1/namespaces/default/configmaps')).status === 200);
    const s = await review(c, 'eve', [], { namespace: 'default', verb: 'list', resource: 'configmaps' });
    assert.equal(s.reason, 'Casbin: allowed by configmap kube-system/casbin-policy policy.csv:1 (p, user:eve, list, configmaps) for user:eve');
    // A line with a field too many: refused, the last good policy stays.
    const bad = await c.admin.put('/api/v1/namespaces/kube-system/configmaps/casbin-policy', { ...cm, data: { 'policy.csv': 'p, user:eve, list, configmaps\np, user:eve, list, secrets, extra\n' } });
    assert.equal(bad.status, 200);
    // The rejection is told as a Warning Event on the ConfigMap; the last good policy stays.
    let event: { reason?: string; message?: string; involvedObject?: { name?: string } } | undefined;
    await eventually('the rejection Event is written', async () => {
      event = (await c.admin.get('/api/v1/namespaces/kube-system/events')).body.items.find((e: { reason?: string }) => e.reason === 'CasbinPolicyRejected');
      return event !== undefined;
    });
    assert.equal(event?.involvedObject?.name, 'casbin-policy');
    assert.equal(event?.message, "configmap kube-system/casbin-policy policy.csv:2: p line has 4 fields; the model's p has 3 (sub, verb, resource); the last good policy stays in force");
    assert.equal((await eve.get('/api/v1/namespaces/default/secrets')).status, 403);
    assert.equal((await eve.get('/api/v1/namespaces/default/configmaps')).status, 200);
    const good = await c.admin.get('/api/v1/namespaces/kube-system/configmaps/casbin-policy');
    assert.equal((await c.admin.put('/api/v1/namespaces/kube-system/configmaps/casbin-policy', { ...good.body, data: { 'policy.csv': 'p, user:eve, list, secrets\n' } })).status, 200);
    await eventually('the good update replaces the policy', async () => (await eve.get('/api/v1/namespaces/default/secrets')).status === 200);
    assert.equal((await eve.get('/api/v1/namespaces/default/configmaps')).status, 403);
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad model or policy stops `portcullis up`: exit 1 with the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-casbin-up-'));
  try {
    const model = join(dir, 'model.conf');
    const policy = join(dir, 'policy.csv');
    writeFileSync(model, '[request_definition]\nr = sub, verb\n[policy_definition]\np = sub, verb\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && r.verb == p.verb\n');
    writeFileSync(policy, 'p, user:a, get\np, user:b\n');
    const run = () => spawnSync(BIN, ['up', '--data-dir', join(dir, 'data'), '--port', '0', '--local-agent=false', '--controllers=-*', '--authorization-mode=Node,RBAC,Casbin', `--authorization-casbin-model=${model}`, `--authorization-casbin-policy=${policy}`], { encoding: 'utf8', timeout: 60_000 });
    let r = run();
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`portcullis up: ${policy.replace(/[.]/g, '\\.')}:2: p line has 1 fields; the model's p has 2 \\(sub, verb\\)`));
    writeFileSync(model, '[request_definition]\nr = sub, obj\n[policy_definition]\np = sub, verb\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub\n');
    r = run();
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /request definition names "obj", which Portcullis does not supply/);
    // The same through a structured AuthorizationConfiguration naming a Casbin authorizer.
    const config = join(dir, 'authz.yaml');
    writeFileSync(config, `apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n  - {type: Node, name: node}\n  - {type: Casbin, name: casbin, casbin: {model: ${model}, policy: ${policy}}}\n  - {type: RBAC, name: rbac}\n`);
    r = spawnSync(BIN, ['up', '--data-dir', join(dir, 'data'), '--port', '0', '--local-agent=false', '--controllers=-*', `--authorization-config=${config}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /request definition names "obj", which Portcullis does not supply/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
