// The glob cases of sigstore policy-controller's pkg/apis/glob/glob_test.go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, globMatches } from './glob.ts';

const cases: Array<[image: string, glob: string, match: boolean]> = [
  ['foo', 'index.docker.io/library/foo:latest', true],
  ['foo', 'index.docker.io/library/foo:*', true],
  ['foo', 'index.docker.io/library/*', true],
  ['foo', 'index.docker.io/library/*:latest', true],
  ['foo', 'index.docker.io/*/*', true],
  ['foo', 'index.docker.io/**', true],
  ['foo', 'index.docker.**', true],
  ['foo', 'inde**', true],
  ['foo', '**', true],
  ['foo', 'foo', true],
  ['foo', 'foo*', true],
  ['myuser/myapp', 'index.docker.io/myuser/myapp:latest', true],
  ['myuser/myapp', 'index.docker.io/myuser/*', true],
  ['myuser/myapp', 'index.docker.io/*/*', true],
  ['myuser/myapp', 'myuser/myapp', true],
  ['ghcr.io/foo/bar', 'ghcr.io/*/*', true],
  ['ghcr.io/foo/bar', 'ghcr.io/**', true],
  ['ghcr.io/foo', 'ghcr.io/*/*', false],
  ['ghcr.io/foo', 'ghcr.io/**', true],
  ['ghcr.io/foo', '*/**', true],
  ['ghcr.io/foo', 'ghcr.io/foo*', true],
  ['prefix-ghcr.io/foo', 'ghcr.io/foo', false],
  ['ghcr.io/foo-suffix', 'ghcr.io/foo', false],
  ['ghcrxio/foo', 'ghcr.io/**', false],
  ['foo', '*', true],
  ['myuser/myapp', '*/*', true],
  ['127.0.0.1:5000/app@sha256:' + 'a'.repeat(64), '127.0.0.1:5000/**', true],
  ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/*', true],
  ['127.0.0.1:5000/other/app:v1', '127.0.0.1:5000/team/*', false],
];

for (const [image, glob, want] of cases) {
  test(`${image} | ${glob} → ${want}`, () => {
    assert.equal(globMatches(compileGlob(glob), image), want);
  });
}

test('globs that look like regular expressions are refused', () => {
  assert.throws(() => compileGlob('.+'), /invalid glob/);
  assert.throws(() => compileGlob('[a-z]*'), /invalid glob/);
  assert.throws(() => compileGlob('a'.repeat(600)), /invalid glob/);
});
