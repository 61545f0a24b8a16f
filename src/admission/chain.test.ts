import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from './chain.ts';
import type { AdmissionAttributes, MutatingPlugin, ValidatingPlugin } from './types.ts';

const attrs = (): AdmissionAttributes => ({
  operation: 'CREATE',
  object: { metadata: { name: 'p' } },
  oldObject: undefined,
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  subresource: '',
  namespace: 'ns',
  name: 'p',
  user: { username: 'u', groups: [] },
  dryRun: false,
});

const labeler: MutatingPlugin = {
  name: 'Labeler',
  handles: () => true,
  async admit(a) {
    a.object!.metadata.labels = { set: 'yes' };
    return { allowed: true, patches: [{ op: 'add', path: '/metadata/labels' }], warnings: ['labelled'] };
  },
};
const denier: ValidatingPlugin = { name: 'Denier', handles: (a) => a.namespace === 'ns', validate: async () => ({ allowed: false, reason: 'not here' }) };
const thrower: ValidatingPlugin = { name: 'Thrower', handles: () => true, validate: async () => { throw new Error('bug'); } };

test('mutating plugins change the object and record their verdicts', async () => {
  const chain = new AdmissionChain([labeler], [], () => 0);
  const a = attrs();
  const out = emptyOutcome();
  await chain.admit(a, out);
  assert.deepEqual(a.object!.metadata.labels, { set: 'yes' });
  assert.equal(out.records[0]!.plugin, 'Labeler');
  assert.deepEqual(out.warnings, ['labelled']);
});

test('a denial is a 403 naming the resource and the reason', async () => {
  const chain = new AdmissionChain([], [denier]);
  const out = emptyOutcome();
  await assert.rejects(chain.validate(attrs(), out), (err: any) => err.code === 403 && err.message === 'pods "p" is forbidden: not here');
  assert.equal(out.records[0]!.allowed, false);
});

test('a plugin that throws denies with 500, never admits', async () => {
  const chain = new AdmissionChain([], [thrower]);
  await assert.rejects(chain.validate(attrs(), emptyOutcome()), (err: any) => err.code === 500 && /Thrower/.test(err.message));
});
