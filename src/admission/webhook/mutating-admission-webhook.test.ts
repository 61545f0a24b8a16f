import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MutatingAdmissionWebhook } from './mutating-admission-webhook.ts';
import { asThrown, podAttrs, reply, startWebhook, testDeps, type TestWebhook } from './test-support.ts';
import type { WebhookSpec } from './types.ts';

const KEY = (name: string) => `/registry/admissionregistration.k8s.io/mutatingwebhookconfigurations/${name}`;
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const jsonPatch = (review: any, ops: unknown) => reply(review, { allowed: true, patchType: 'JSONPatch', patch: b64(ops) });

let wh: TestWebhook;
before(async () => {
  wh = await startWebhook((review, path) => {
    const obj = review.request.object;
    switch (path.split('?')[0]) {
      case '/label': return jsonPatch(review, [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }]);
      case '/annotate-if-labelled':
        // Adds an annotation recording whether it saw the label another webhook adds later.
        return jsonPatch(review, [{ op: 'add', path: '/metadata/annotations', value: { sawLabel: String(!!obj.metadata.labels?.mutated) } }]);
      case '/noop': return reply(review, { allowed: true });
      case '/undecodable': return reply(review, { allowed: true, patchType: 'JSONPatch', patch: b64({ not: 'a list' }) });
      case '/not-applicable': return jsonPatch(review, [{ op: 'replace', path: '/spec/nothere/x', value: 1 }]);
      case '/bad-base64': return reply(review, { allowed: true, patchType: 'JSONPatch', patch: '!!!' });
      case '/no-type': return reply(review, { allowed: true, patch: b64([]) });
      case '/deny': return reply(review, { allowed: false, status: { message: 'nope', code: 409, reason: 'Conflict' } });
      case '/warn': return reply(review, { allowed: true, warnings: ['first warning'] });
      case '/deny-warn': return reply(review, { allowed: false, status: { message: 'nope' }, warnings: ['second warning'], auditAnnotations: { why: 'because' } });
      default: return reply(review, { allowed: true });
    }
  });
});
after(() => wh.close());

function hook(name: string, path: string, over: Partial<WebhookSpec> = {}): WebhookSpec {
  return {
    name,
    clientConfig: { url: `${wh.url}${path}`, caBundle: wh.caBundle },
    rules: [{ operations: ['CREATE', 'DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    failurePolicy: 'Fail',
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: 5,
    ...over,
  };
}

async function pluginWith(webhooks: WebhookSpec[]): Promise<MutatingAdmissionWebhook> {
  const deps = testDeps();
  await deps.store.create(KEY('cfg'), { metadata: { name: 'cfg' }, webhooks });
  return new MutatingAdmissionWebhook(deps);
}

describe('MutatingAdmissionWebhook', () => {
  test('a JSON patch is applied to the object in place and recorded', async () => {
    const plugin = await pluginWith([hook('label.example.com', '/label')]);
    const a = podAttrs();
    const obj = a.object;
    const v = await plugin.admit(a);
    assert.equal(a.object, obj);
    assert.deepEqual(a.object!.metadata.labels, { app: 'web', mutated: 'yes' });
    assert.deepEqual(JSON.parse(v.auditAnnotations!['mutation.webhook.admission.k8s.io/round_0_index_0']!), { configuration: 'cfg', webhook: 'label.example.com', mutated: true });
    assert.deepEqual(v.patches, [{ configuration: 'cfg', webhook: 'label.example.com', patch: [{ op: 'add', path: '/metadata/labels/mutated', value: 'yes' }], patchType: 'JSONPatch' }]);
    plugin.close();
  });

  test('webhooks run in order; IfNeeded ones run again once when a later one changed the object', async () => {
    const cases: [string, string | undefined, number, string][] = [
      ['Never', undefined, 1, 'false'],
      ['IfNeeded', 'IfNeeded', 2, 'true'],
    ];
    for (const [what, policy, calls, sawLabel] of cases) {
      const plugin = await pluginWith([hook('first.example.com', `/annotate-if-labelled?${what}`, { reinvocationPolicy: policy }), hook('second.example.com', '/label')]);
      const before = wh.seen.filter((s) => s.path.includes(what)).length;
      const a = podAttrs();
      const v = await plugin.admit(a);
      assert.equal(wh.seen.filter((s) => s.path.includes(what)).length - before, calls, what);
      assert.equal(a.object!.metadata.annotations.sawLabel, sawLabel, what);
      if (policy) assert.ok(v.auditAnnotations!['mutation.webhook.admission.k8s.io/round_1_index_0']);
      plugin.close();
    }
  });

  const faults: [string, string][] = [
    ['/undecodable', 'received undecodable patch in webhook response: json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['/bad-base64', 'failed to call webhook: illegal base64 data at input byte 0'],
    ['/no-type', 'received invalid webhook response: webhook returned response.patch but not response.patchType'],
  ];
  for (const [path, detail] of faults) {
    test(`fault ${path}: Fail denies naming the webhook, Ignore admits unchanged`, async () => {
      const fail = await pluginWith([hook('m.example.com', path)]);
      await assert.rejects(asThrown(fail.admit(podAttrs())), (err: any) => err.code === 500 && err.message === `Internal error occurred: failed calling webhook "m.example.com": ${detail}`);
      fail.close();
      const ignore = await pluginWith([hook('m.example.com', path, { failurePolicy: 'Ignore' })]);
      const a = podAttrs();
      const v = await ignore.admit(a);
      assert.deepEqual(a.object, podAttrs().object);
      assert.equal(v.auditAnnotations!['failed-open.mutation.webhook.admission.k8s.io/round_0_index_0'], 'm.example.com');
      ignore.close();
    });
  }

  test('a patch that does not apply is an internal error even with failurePolicy Ignore (as upstream)', async () => {
    const plugin = await pluginWith([hook('m.example.com', '/not-applicable', { failurePolicy: 'Ignore' })]);
    await assert.rejects(asThrown(plugin.admit(podAttrs())), (err: any) => err.code === 500 && err.message.startsWith('Internal error occurred: '));
    plugin.close();
  });

  test('a patch on a DELETE is refused', async () => {
    const plugin = await pluginWith([hook('label.example.com', '/label')]);
    const a = podAttrs({ operation: 'DELETE', object: undefined, oldObject: podAttrs().object });
    await assert.rejects(asThrown(plugin.admit(a)), (err: any) =>
      err.message === 'Internal error occurred: admission webhook "label.example.com" attempted to modify the object, which is not supported for this operation');
    plugin.close();
  });

  test('a denial carries the webhook status code and reason', async () => {
    const plugin = await pluginWith([hook('d.example.com', '/deny')]);
    await assert.rejects(asThrown(plugin.admit(podAttrs())), (err: any) =>
      err.code === 409 && err.reason === 'Conflict' && err.message === 'admission webhook "d.example.com" denied the request: nope');
    plugin.close();
  });

  test('a denial keeps the warnings and audit annotations gathered so far, the denying webhook\'s too', async () => {
    const plugin = await pluginWith([hook('w.example.com', '/warn'), hook('d.example.com', '/deny-warn')]);
    const v = await plugin.admit(podAttrs());
    assert.equal(v.allowed, false);
    assert.equal(v.error?.message, 'admission webhook "d.example.com" denied the request: nope');
    assert.deepEqual(v.warnings, ['first warning', 'second warning']);
    assert.equal(v.auditAnnotations?.['d.example.com/why'], 'because');
    plugin.close();
  });

  test('v1beta1-only webhooks get a v1beta1 review and need not echo the uid', async () => {
    const plugin = await pluginWith([hook('old.example.com', '/noop', { admissionReviewVersions: ['v1beta1'] })]);
    const before = wh.seen.length;
    assert.equal((await plugin.admit(podAttrs())).allowed, true);
    assert.equal(wh.seen[before]!.review.apiVersion, 'admission.k8s.io/v1beta1');
    plugin.close();
  });
});
