import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MANDATORY_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/mandatory.ts';
import { SUGGESTED_PRIORITY_LEVELS } from '../../api/validation/flowcontrol/suggested.ts';
import { reconcileObject } from './ensure-config.ts';

const workloadLow = SUGGESTED_PRIORITY_LEVELS.find((p) => p.metadata.name === 'workload-low')!;
const exempt = MANDATORY_PRIORITY_LEVELS.find((p) => p.metadata.name === 'exempt')!;
const stored = (annotations: Record<string, string> | undefined, spec: unknown, generation = 1) => ({ metadata: { name: 'x', generation, ...(annotations ? { annotations } : {}) }, spec });
const changedSpec = { type: 'Limited', limited: { nominalConcurrencyShares: 7, lendablePercent: 0, limitResponse: { type: 'Reject' } } };

test('suggested objects: the spec comes back while autoupdate-spec is true, stays when false', () => {
  const back = reconcileObject(stored({ 'apf.kubernetes.io/autoupdate-spec': 'true' }, changedSpec, 3), workloadLow, false)!;
  assert.deepEqual(back.spec, workloadLow.spec);
  assert.equal(back.metadata.generation, 4);
  assert.equal(reconcileObject(stored({ 'apf.kubernetes.io/autoupdate-spec': 'false' }, changedSpec, 3), workloadLow, false), undefined);
  assert.equal(reconcileObject(stored({ 'apf.kubernetes.io/autoupdate-spec': 'true' }, structuredClone(workloadLow.spec)), workloadLow, false), undefined, 'up to date');
});

test('suggested objects without a boolean annotation: updated while generation is 1, else marked false', () => {
  const fresh = reconcileObject(stored(undefined, changedSpec, 1), workloadLow, false)!;
  assert.equal(fresh.metadata.annotations['apf.kubernetes.io/autoupdate-spec'], 'true');
  assert.deepEqual(fresh.spec, workloadLow.spec);
  const edited = reconcileObject(stored({ 'apf.kubernetes.io/autoupdate-spec': 'maybe' }, changedSpec, 2), workloadLow, false)!;
  assert.equal(edited.metadata.annotations['apf.kubernetes.io/autoupdate-spec'], 'false');
  assert.deepEqual(edited.spec, changedSpec, 'an operator-edited spec is kept');
});

test('mandatory objects always get their spec back; the exempt level keeps its two adjustable fields', () => {
  const adjusted = { type: 'Exempt', exempt: { nominalConcurrencyShares: 10, lendablePercent: 20 } };
  assert.equal(reconcileObject(stored({ 'apf.kubernetes.io/autoupdate-spec': 'true' }, adjusted, 2), exempt, true), undefined);
  const forced = reconcileObject(stored({ 'apf.kubernetes.io/autoupdate-spec': 'false' }, adjusted, 2), exempt, true)!;
  assert.equal(forced.metadata.annotations['apf.kubernetes.io/autoupdate-spec'], 'true');
  assert.deepEqual(forced.spec, adjusted);
});
