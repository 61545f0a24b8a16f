import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { startCasbinAuthorizer } from './setup.ts';
import { attrs, examplePaths } from './testing.ts';

const KEY = '/registry/core/configmaps/kube-system/authz';
const MODEL = '[request_definition]\nr = sub, verb, resource\n[policy_definition]\np = sub, verb, resource\n[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == p.sub && r.verb == p.verb && r.resource == p.resource\n';
const log = pino({ level: 'silent' });

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`never: ${what}`);
}

test('ConfigMap policy: a bad generation is reported and the last good one stays; a delete keeps it too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'casbin-setup-'));
  const store = openSqliteStore({ path: ':memory:' });
  try {
    writeFileSync(join(dir, 'model.conf'), MODEL);
    const cm = (policy: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'authz', namespace: 'kube-system' }, data: { 'policy.csv': policy } });
    let obj = await store.create(KEY, cm('p, user:eve, get, pods\n'));
    const h = await startCasbinAuthorizer({ model: join(dir, 'model.conf'), policyConfigMap: 'authz' }, store, log);
    const eveGets = async (resource: string) => (await h.authorizer.authorize(attrs('eve', [], 'get', resource, 'default'))).decision;
    assert.equal(await eveGets('pods'), 'allow');
    obj = await store.update(KEY, cm('p, user:eve, get, pods\np, user:eve, get, secrets, oops\n'), obj.modRevision);
    await until('the bad generation is reported', () => h.lastError() !== undefined);
    assert.equal(h.lastError(), 'configmap kube-system/authz policy.csv:2: p line has 4 fields; the model\'s p has 3 (sub, verb, resource)');
    assert.equal(await eveGets('pods'), 'allow');
    assert.equal(await eveGets('secrets'), 'no-opinion');
    obj = await store.update(KEY, cm('p, user:eve, get, secrets\n'), obj.modRevision);
    await until('the good generation is loaded', async () => (await eveGets('secrets')) === 'allow');
    assert.equal(h.lastError(), undefined);
    assert.equal(await eveGets('pods'), 'no-opinion');
    await store.delete(KEY);
    await store.create('/registry/core/configmaps/kube-system/zz-marker', cm(''));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await eveGets('secrets'), 'allow', 'a deleted ConfigMap keeps the last good policy');
    h.stop();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad policy in the ConfigMap at start stops the start; no ConfigMap is an empty policy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'casbin-setup-'));
  const store = openSqliteStore({ path: ':memory:' });
  try {
    writeFileSync(join(dir, 'model.conf'), MODEL);
    const h = await startCasbinAuthorizer({ model: join(dir, 'model.conf'), policyConfigMap: 'authz' }, store, log);
    assert.equal((await h.authorizer.authorize(attrs('eve', [], 'get', 'pods', 'default'))).decision, 'no-opinion');
    h.stop();
    await store.create(KEY, { metadata: { name: 'authz' }, data: { 'policy.csv': 'g, a, b\n' } });
    await assert.rejects(startCasbinAuthorizer({ model: join(dir, 'model.conf'), policyConfigMap: 'authz' }, store, log), /configmap kube-system\/authz policy\.csv:1: policy type "g" is not defined/);
    await assert.rejects(startCasbinAuthorizer({ model: join(dir, 'model.conf') }, store, log), /exactly one of --authorization-casbin-policy and --authorization-casbin-policy-configmap/);
    await assert.rejects(startCasbinAuthorizer({ model: join(dir, 'missing.conf'), policyFile: examplePaths('deny-list').policy }, store, log), /Casbin model .*missing\.conf: ENOENT/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
