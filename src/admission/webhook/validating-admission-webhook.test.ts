import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidatingAdmissionWebhook } from './validating-admission-webhook.ts';
import { asThrown, podAttrs, reply, startWebhook, testDeps, type TestWebhook } from './test-support.ts';
import type { PluginDeps } from '../plugin-deps.ts';
import type { WebhookSpec } from './types.ts';
import { freePort } from '../../../test/helpers/free-port.ts';

const KEY = (name: string) => `/registry/admissionregistration.k8s.io/validatingwebhookconfigurations/${name}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let wh: TestWebhook;
before(async () => {
  wh = await startWebhook(async (review, path) => {
    const p = path.split('?')[0];
    switch (p) {
      case '/allow': return reply(review, { allowed: true, warnings: ['careful'], auditAnnotations: { checked: 'yes' } });
      case '/deny': return reply(review, { allowed: false, status: { message: 'no pods today' } });
      case '/deny-code': return reply(review, { allowed: false, status: { code: 422, reason: 'Invalid', message: 'bad spec' } });
      case '/deny-silent': return reply(review, { allowed: false });
      case '/deny-odd-code': return reply(review, { allowed: false, status: { code: 700, message: 'odd' } });
      case '/deny-warn': return reply(review, { allowed: false, status: { message: 'no, see warning' }, warnings: ['this pod runs as root'], auditAnnotations: { why: 'root' } });
      case '/slow': await sleep(1500); return reply(review, { allowed: true });
      case '/garbage': return 'this is not json';
      case '/wrong-uid': return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'someone-else', allowed: true } };
      case '/patch': return reply(review, { allowed: true, patchType: 'JSONPatch', patch: Buffer.from('[]').toString('base64') });
      default: return reply(review, { allowed: true });
    }
  }, ['wh.ns.svc']);
});
after(() => wh.close());

function hook(path: string, over: Partial<WebhookSpec> = {}): WebhookSpec {
  return {
    name: 'v.example.com',
    clientConfig: { url: `${wh.url}${path}`, caBundle: wh.caBundle },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' }],
    failurePolicy: 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 1,
    ...over,
  };
}

async function pluginWith(webhooks: WebhookSpec[], deps: PluginDeps = testDeps()): Promise<{ plugin: ValidatingAdmissionWebhook; deps: PluginDeps }> {
  await deps.store.create(KEY('cfg'), { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'cfg' }, webhooks });
  return { plugin: new ValidatingAdmissionWebhook(deps), deps };
}

describe('ValidatingAdmissionWebhook', () => {
  test('an allowing webhook admits, receives a v1 AdmissionReview, and passes on warnings and audit annotations', async () => {
    const { plugin } = await pluginWith([hook('/allow')]);
    const before = wh.seen.length;
    const v = await plugin.validate(podAttrs());
    assert.equal(v.allowed, true);
    assert.deepEqual(v.warnings, ['careful']);
    assert.deepEqual(v.auditAnnotations, { 'v.example.com/checked': 'yes' });
    const { path, review } = wh.seen[before]!;
    assert.equal(path, '/allow?timeout=1s');
    assert.equal(review.apiVersion, 'admission.k8s.io/v1');
    assert.deepEqual(
      { ...review.request, object: undefined, uid: undefined },
      {
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        requestKind: { group: '', version: 'v1', kind: 'Pod' },
        requestResource: { group: '', version: 'v1', resource: 'pods' },
        name: 'p', namespace: 'ns', operation: 'CREATE',
        userInfo: { username: 'alice', groups: ['system:authenticated'] },
        oldObject: null, dryRun: false,
        options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
        object: undefined, uid: undefined,
      },
    );
    assert.equal(review.request.object.metadata.name, 'p');
    plugin.close();
  });

  const denials: [string, string, number, string][] = [
    ['/deny', 'admission webhook "v.example.com" denied the request: no pods today', 400, ''],
    ['/deny-code', 'admission webhook "v.example.com" denied the request: bad spec', 422, 'Invalid'],
    ['/deny-silent', 'admission webhook "v.example.com" denied the request without explanation', 400, ''],
    ['/deny-odd-code', 'admission webhook "v.example.com" denied the request: odd', 500, ''],
  ];
  for (const [path, message, code, reason] of denials) {
    test(`a denial is reported as upstream (${path}), whatever the failurePolicy`, async () => {
      const { plugin } = await pluginWith([hook(path, { failurePolicy: 'Ignore' })]);
      await assert.rejects(asThrown(plugin.validate(podAttrs())), (err: any) => err.message === message && err.code === code && err.reason === reason);
      plugin.close();
    });
  }

  test('a denial keeps the warnings and audit annotations of every webhook called (upstream adds them before deciding)', async () => {
    const { plugin } = await pluginWith([hook('/allow', { name: 'a.example.com' }), hook('/deny-warn', { name: 'd.example.com' })]);
    const v = await plugin.validate(podAttrs());
    assert.equal(v.allowed, false);
    assert.match(v.error!.message, /admission webhook "d.example.com" denied the request: no, see warning/);
    assert.deepEqual(new Set(v.warnings), new Set(['careful', 'this pod runs as root']));
    assert.deepEqual(v.auditAnnotations, { 'a.example.com/checked': 'yes', 'd.example.com/why': 'root' });
    plugin.close();
  });

  const faults: [string, (port: number) => string][] = [
    ['/unreachable', (port) => `failed to call webhook: Post "https://127.0.0.1:${port}/unreachable?timeout=1s": dial tcp 127.0.0.1:${port}: connect: connection refused`],
    ['/slow', (port) => `failed to call webhook: Post "https://127.0.0.1:${port}/slow?timeout=1s": context deadline exceeded`],
    ['/garbage', () => "failed to call webhook: couldn't get version/kind; json parse error:"],
    ['/wrong-uid', () => 'received invalid webhook response: expected response.uid="uid-1", got "someone-else"'],
    ['/patch', () => 'received invalid webhook response: validating webhook may not return response.patch'],
  ];
  for (const [path, detail] of faults) {
    test(`fault ${path}: failurePolicy Fail denies naming the webhook, Ignore admits and records`, async () => {
      const port = path === '/unreachable' ? await freePort() : wh.port;
      const url = `https://127.0.0.1:${port}${path}`;
      const fail = await pluginWith([hook(path, { clientConfig: { url, caBundle: wh.caBundle } })]);
      await assert.rejects(asThrown(fail.plugin.validate(podAttrs())), (err: any) => {
        assert.equal(err.code, 500);
        assert.equal(err.reason, 'InternalError');
        assert.ok(err.message.startsWith(`Internal error occurred: failed calling webhook "v.example.com": ${detail(port)}`), err.message);
        return true;
      });
      fail.plugin.close();
      const ignore = await pluginWith([hook(path, { clientConfig: { url, caBundle: wh.caBundle }, failurePolicy: 'Ignore' })]);
      const v = await ignore.plugin.validate(podAttrs());
      assert.equal(v.allowed, true);
      assert.equal(v.auditAnnotations?.['failed-open.validating.webhook.admission.k8s.io/round_0_index_0'], 'v.example.com');
      ignore.plugin.close();
    });
  }

  test('a serving certificate from another CA fails verification', async () => {
    const other = await startWebhook((r) => reply(r, { allowed: true }));
    const { plugin } = await pluginWith([hook('/allow', { clientConfig: { url: `${other.url}/allow`, caBundle: wh.caBundle } })]);
    await assert.rejects(asThrown(plugin.validate(podAttrs())), /x509: certificate signed by unknown authority/);
    plugin.close();
    await other.close();
  });

  test('a service reference goes to the first endpoint address and verifies <svc>.<ns>.svc', async () => {
    const deps = testDeps();
    await deps.store.create('/registry/core/services/ns/wh', { metadata: { name: 'wh', namespace: 'ns' }, spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } });
    await deps.store.create('/registry/core/endpoints/ns/wh', { metadata: { name: 'wh', namespace: 'ns' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: wh.port }] }] });
    const { plugin } = await pluginWith([hook('', { clientConfig: { service: { namespace: 'ns', name: 'wh', path: '/deny', port: 443 }, caBundle: wh.caBundle } })], deps);
    await assert.rejects(asThrown(plugin.validate(podAttrs())), /denied the request: no pods today/);
    plugin.close();
  });

  test('a service without endpoints fails the call', async () => {
    const deps = testDeps();
    await deps.store.create('/registry/core/services/ns/wh', { metadata: { name: 'wh' }, spec: { ports: [{ port: 443 }] } });
    const { plugin } = await pluginWith([hook('', { clientConfig: { service: { namespace: 'ns', name: 'wh', path: '/allow' }, caBundle: wh.caBundle } })], deps);
    await assert.rejects(asThrown(plugin.validate(podAttrs())), (err: any) =>
      err.message === 'Internal error occurred: failed calling webhook "v.example.com": failed to call webhook: Post "https://wh.ns.svc:443/allow?timeout=1s": no endpoints available for service "wh"');
    plugin.close();
  });

  const selection: [string, Partial<WebhookSpec>, boolean][] = [
    ['rule on another resource', { rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['services'] }] }, false],
    ['rule on another operation', { rules: [{ operations: ['UPDATE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] }, false],
    ['cluster scope only', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: 'Cluster' }] }, false],
    ['wildcards', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'], scope: 'Namespaced' }] }, true],
    ['namespace labels match', { namespaceSelector: { matchLabels: { env: 'prod' } } }, true],
    ['namespace labels differ', { namespaceSelector: { matchLabels: { env: 'dev' } } }, false],
    ['object labels match', { objectSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] } }, true],
    ['object labels differ', { objectSelector: { matchLabels: { app: 'db' } } }, false],
    ['match condition true', { matchConditions: [{ name: 'named', expression: 'object.metadata.name == "p" && request.userInfo.username == "alice"' }] }, true],
    ['match condition false', { matchConditions: [{ name: 'named', expression: 'object.metadata.name == "q"' }] }, false],
    ['match condition error with Ignore', { failurePolicy: 'Ignore', matchConditions: [{ name: 'bad', expression: 'object.spec.nothere == 1' }] }, false],
    ['authorizer in a match condition', { matchConditions: [{ name: 'authz', expression: 'authorizer.group("").resource("pods").namespace("ns").check("delete").allowed()' }] }, true],
    // RE2, as upstream: with a backtracking JavaScript RegExp this pattern would never finish.
    ['match condition with a pattern that backtracks exponentially in JavaScript', { matchConditions: [{ name: 're2', expression: `!('${'a'.repeat(55)}!'.matches('^(a+)+$')) && object.metadata.name.matches('^(p+)+$')` }] }, true],
  ];
  for (const [what, over, called] of selection) {
    test(`selection: ${what} → ${called ? 'called' : 'skipped'}`, async () => {
      const deps = testDeps();
      await deps.store.create('/registry/core/namespaces/ns', { metadata: { name: 'ns', labels: { env: 'prod' } } });
      const { plugin } = await pluginWith([hook('/deny', over)], deps);
      if (called) await assert.rejects(asThrown(plugin.validate(podAttrs())), /no pods today/);
      else assert.equal((await plugin.validate(podAttrs())).allowed, true);
      plugin.close();
    });
  }

  for (const failurePolicy of ['Fail', 'Ignore']) {
    test(`a selector that does not parse is an internal error naming the webhook (failurePolicy ${failurePolicy}), never a silent skip`, async () => {
      const bad = { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] };
      for (const which of ['namespaceSelector', 'objectSelector'] as const) {
        const deps = testDeps();
        await deps.store.create('/registry/core/namespaces/ns', { metadata: { name: 'ns' } });
        const { plugin } = await pluginWith([hook('/allow', { failurePolicy, [which]: bad })], deps);
        const before = wh.seen.length;
        await assert.rejects(asThrown(plugin.validate(podAttrs())), (err: any) =>
          err.code === 500 && err.reason === 'InternalError' && err.message === `Internal error occurred: webhook "v.example.com": ${which}: "Near" is not a valid label selector operator`);
        assert.equal(wh.seen.length, before, 'not called');
        // A request the rules do not select is not the webhook's business: no error.
        assert.equal((await plugin.validate(podAttrs({ operation: 'UPDATE' }))).allowed, true);
        plugin.close();
      }
    });
  }

  test('a match condition error with failurePolicy Fail is forbidden', async () => {
    const { plugin } = await pluginWith([hook('/allow', { matchConditions: [{ name: 'bad', expression: 'object.spec.nothere == 1' }] })]);
    await assert.rejects(asThrown(plugin.validate(podAttrs())), (err: any) => err.code === 403 && /^pods "p" is forbidden: expression 'object.spec.nothere == 1' resulted in error: /.test(err.message));
    plugin.close();
  });

  test('dry run: sideEffects Some is refused, None is called', async () => {
    const some = await pluginWith([hook('/allow', { sideEffects: 'Some' })]);
    await assert.rejects(asThrown(some.plugin.validate(podAttrs({ dryRun: true }))), (err: any) => err.code === 400 && err.message === 'admission webhook "v.example.com" does not support dry run');
    some.plugin.close();
    const none = await pluginWith([hook('/allow', { sideEffects: 'NoneOnDryRun' })]);
    const before = wh.seen.length;
    assert.equal((await none.plugin.validate(podAttrs({ dryRun: true }))).allowed, true);
    assert.equal(wh.seen[before]!.review.request.dryRun, true);
    none.plugin.close();
  });

  test('webhooks never see admission configuration objects', async () => {
    const { plugin } = await pluginWith([hook('/deny', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] })]);
    for (const resource of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings']) {
      assert.equal(plugin.handles(podAttrs({ resource: { group: 'admissionregistration.k8s.io', version: 'v1', resource }, namespace: '' })), false, resource);
    }
    plugin.close();
  });

  test('configuration changes reach the plugin through the watch', async () => {
    const { plugin, deps } = await pluginWith([hook('/deny')]);
    await assert.rejects(asThrown(plugin.validate(podAttrs())));
    const cur = await deps.store.get(KEY('cfg'));
    await deps.store.delete(KEY('cfg'), cur!.modRevision);
    for (let i = 0; i < 200 && plugin.handles(podAttrs()); i++) await sleep(5);
    assert.equal(plugin.handles(podAttrs()), false);
    assert.equal((await plugin.validate(podAttrs())).allowed, true);
    plugin.close();
  });
});
