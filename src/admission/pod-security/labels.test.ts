import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  levelVersionString, parseLevel, parseVersion, policyErrorMessage, policyToEvaluate, type NamespacePolicy,
} from './labels.ts';

test('parseLevel: unknown levels fall back to restricted with an error', () => {
  const cases: Array<[string, string, boolean]> = [
    ['privileged', 'privileged', false],
    ['baseline', 'baseline', false],
    ['restricted', 'restricted', false],
    ['Restricted', 'restricted', true],
    ['', 'restricted', true],
    ['priviliged', 'restricted', true],
  ];
  for (const [input, value, failed] of cases) {
    const p = parseLevel(input);
    assert.equal(p.value, value, input);
    assert.equal(p.error, failed ? 'must be one of privileged, baseline, restricted' : undefined, input);
  }
});

test('parseVersion: unknown versions fall back to latest with an error', () => {
  const cases: Array<[string, string, boolean]> = [
    ['latest', 'latest', false],
    ['v1.0', 'v1.0', false],
    ['v1.25', 'v1.25', false],
    ['v1.999', 'v1.999', false],
    ['v1.01', 'latest', true],
    ['1.25', 'latest', true],
    ['v2.0', 'latest', true],
    ['v1.25.0', 'latest', true],
    ['Latest', 'latest', true],
    ['', 'latest', true],
  ];
  for (const [input, value, failed] of cases) {
    const p = parseVersion(input);
    assert.equal(p.value, value, input);
    assert.equal(p.error, failed ? 'must be "latest" or "v1.x"' : undefined, input);
  }
});

const defaults: NamespacePolicy = {
  enforce: { level: 'privileged', version: 'latest' },
  audit: { level: 'privileged', version: 'latest' },
  warn: { level: 'privileged', version: 'latest' },
};

test('policyToEvaluate: labels override defaults; bad enforce is strict, bad audit/warn fail open', () => {
  const { policy, errors } = policyToEvaluate({
    'pod-security.kubernetes.io/enforce': 'bogus',
    'pod-security.kubernetes.io/enforce-version': 'v1.30',
    'pod-security.kubernetes.io/audit': 'nope',
    'pod-security.kubernetes.io/warn': 'baseline',
    'pod-security.kubernetes.io/warn-version': 'v1',
  }, defaults);
  assert.deepEqual(policy, {
    enforce: { level: 'restricted', version: 'v1.30' },
    audit: { level: 'privileged', version: 'latest' },
    warn: { level: 'baseline', version: 'latest' },
  });
  assert.deepEqual(errors, [
    'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus": must be one of privileged, baseline, restricted',
    'metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "nope": must be one of privileged, baseline, restricted',
    'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v1": must be "latest" or "v1.x"',
  ]);
  assert.equal(policyErrorMessage(errors.slice(0, 1)), errors[0]);
  assert.equal(policyErrorMessage(errors.slice(0, 2)), `[${errors[0]}, ${errors[1]}]`);
  assert.equal(levelVersionString(policy.enforce), 'restricted:v1.30');
});

test('policyToEvaluate: no labels means the defaults', () => {
  assert.deepEqual(policyToEvaluate(undefined, defaults), { policy: defaults, errors: [] });
  assert.deepEqual(policyToEvaluate({ team: 'a' }, defaults), { policy: defaults, errors: [] });
});
