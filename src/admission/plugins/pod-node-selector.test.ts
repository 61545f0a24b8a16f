import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { NODE_SELECTOR_ANNOTATION, PodNodeSelector, selectorToLabels, type PodNodeSelectorOptions } from './pod-node-selector.ts';
import { podAttrs, testDeps } from '../webhook/test-support.ts';

const cases: [string, string | undefined, Record<string, string> | undefined, PodNodeSelectorOptions, Record<string, string> | undefined | string][] = [
  ['merges the namespace selector', 'env=prod,tier=web', { disk: 'ssd' }, {}, { env: 'prod', tier: 'web', disk: 'ssd' }],
  ['agreeing keys are fine', 'env=prod', { env: 'prod' }, {}, { env: 'prod' }],
  ['a conflict is refused', 'env=prod', { env: 'dev' }, {}, 'pod node label selector conflicts with its namespace node label selector'],
  ['the cluster default applies without an annotation', undefined, undefined, { clusterDefaultNodeSelector: 'region=eu' }, { region: 'eu' }],
  ['an empty annotation overrides the cluster default', '', undefined, { clusterDefaultNodeSelector: 'region=eu' }, undefined],
  ['outside the whitelist is refused', 'env=prod', { disk: 'ssd' }, { namespaceWhitelists: { ns: 'env=prod' } }, 'pod node label selector labels conflict with its namespace whitelist'],
  ['inside the whitelist is fine', 'env=prod', undefined, { namespaceWhitelists: { ns: 'env=prod,disk=ssd' } }, { env: 'prod' }],
];

for (const [what, annotation, podSelector, opts, want] of cases) {
  test(what, async () => {
    const deps = testDeps();
    const annotations = annotation === undefined ? {} : { [NODE_SELECTOR_ANNOTATION]: annotation };
    await deps.store.create('/registry/core/namespaces/ns', { metadata: { name: 'ns', annotations } });
    const plugin = new PodNodeSelector(deps, opts);
    const a = podAttrs({ object: { metadata: { name: 'p' }, spec: { containers: [], ...(podSelector ? { nodeSelector: podSelector } : {}) } } });
    const run = new AdmissionChain([plugin], [plugin]);
    if (typeof want === 'string') {
      await assert.rejects(run.admit(a, emptyOutcome()), { code: 403, message: `pods "p" is forbidden: ${want}` });
    } else {
      await run.admit(a, emptyOutcome());
      await run.validate(a, emptyOutcome());
      assert.deepEqual(a.object!.spec.nodeSelector, want);
    }
  });
}

test('a missing namespace is a 404', async () => {
  await assert.rejects(new PodNodeSelector(testDeps()).admit(podAttrs()), { code: 404, message: 'namespaces "ns" not found' });
});

test('selector strings', () => {
  assert.deepEqual(selectorToLabels(' a = 1 ,b=2'), { a: '1', b: '2' });
  assert.deepEqual(selectorToLabels('example.com/tier=web'), { 'example.com/tier': 'web' });
  assert.throws(() => selectorToLabels('a=1=2'), /invalid selector: \[a 1 2\]/);
  assert.throws(() => selectorToLabels('a!=1'), /invalid label key "a!"/);
});
