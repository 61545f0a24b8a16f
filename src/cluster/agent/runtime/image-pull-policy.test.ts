import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pullPolicyEnforcer } from './image-pull-policy.ts';

test('verification policies: upstream image_pull_policies.go answers', () => {
  assert.equal(pullPolicyEnforcer('NeverVerify')('test.io/test/img', true), false);
  assert.equal(pullPolicyEnforcer('AlwaysVerify')('test.io/test/img', false), true);
  const preloaded = pullPolicyEnforcer('NeverVerifyPreloadedImages');
  assert.equal(preloaded('test.io/test/img', false), false, 'never pulled by the agent: preloaded');
  assert.equal(preloaded('test.io/test/img', true), true);
  assert.throws(() => pullPolicyEnforcer('Sometimes'), /unknown image pull credential verification policy: Sometimes/);
});

test('NeverVerifyAllowlistedImages: names and whole-segment prefixes, whoever pulled the image', () => {
  const exact = pullPolicyEnforcer('NeverVerifyAllowlistedImages', ['test.io/test/image1', 'test.io/test/test-image']);
  for (const pulled of [false, true]) {
    assert.equal(exact('test.io/test/test-image', pulled), false);
    assert.equal(exact('test.io/test/other', pulled), true);
  }
  // Upstream compares the image field as written; here the name without tag or digest (the KEP's granularity).
  assert.equal(exact('test.io/test/test-image:v1', true), false);
  assert.equal(exact(`test.io/test/test-image@sha256:${'a'.repeat(64)}`, true), false);
  const org = pullPolicyEnforcer('NeverVerifyAllowlistedImages', ['test.io/test/*']);
  assert.equal(org('test.io/test/x', true), false);
  assert.equal(org('test.io/testing/x', true), true, 'a prefix ends at a path segment');
  assert.equal(pullPolicyEnforcer('NeverVerifyAllowlistedImages', ['test.io/*'])('test.io/a/b:c', true), false);
  assert.equal(pullPolicyEnforcer('NeverVerifyAllowlistedImages', ['different.repo/test/*'])('test.io/test/x', false), true);
  assert.equal(pullPolicyEnforcer('NeverVerifyAllowlistedImages', ['docker.io/library/busybox'])('busybox', false), false, 'Docker Hub names normalised');
});

test('allowlist entries refused as upstream refuses them', () => {
  const bad: [string, RegExp][] = [
    ['image.repo/pokus*/imagename', /only patterns ending with '\/\*' are allowed/],
    ['image.repo/pokus*', /only patterns ending with '\/\*' are allowed/],
    ['image.repo/*/imagename', /only patterns ending with '\/\*' are allowed/],
    ['/*', /at least registry hostname is required/],
    ['image.repo/', /failed to parse as an image name/],
    ['', /the supplied pattern is too short/],
    ['*', /only patterns ending with/],
    ['test.io/test/image1:tagged', /neither tag nor digest is accepted/],
    [`test.io/test/image1@sha256:${'3'.repeat(64)}`, /neither tag nor digest is accepted/],
    ['test.io/test/image1 ', /leading\/trailing spaces are not allowed/],
    ['busybox', /neither tag nor digest is accepted/],
  ];
  for (const [p, want] of bad) assert.throws(() => pullPolicyEnforcer('NeverVerifyAllowlistedImages', [p]), want, p);
});
