import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../../cli/args.ts';
import { IMAGE_FLAGS, imageFlagOptions } from './image-options.ts';

const opts = (...argv: string[]) => imageFlagOptions(parseCommand(argv, { name: 'agent', flags: IMAGE_FLAGS }));

test('image flags: defaults, values, and bad values refused by name', () => {
  assert.deepEqual(opts(), { limits: { maxLayers: 125, maxUncompressedBytes: 32 * 1024 ** 3 }, pullCredentials: { policy: 'NeverVerifyPreloadedImages', allowlist: [] } });
  assert.deepEqual(opts('--image-max-layers=10', '--image-max-uncompressed-size', '500Mi', '--image-pull-credentials-verification-policy=NeverVerifyAllowlistedImages', '--preloaded-images-verification-allowlist=registry.example/*,docker.io/library/busybox'), {
    limits: { maxLayers: 10, maxUncompressedBytes: 500 * 1024 ** 2 },
    pullCredentials: { policy: 'NeverVerifyAllowlistedImages', allowlist: ['registry.example/*', 'docker.io/library/busybox'] },
  });
  assert.throws(() => opts('--image-pull-credentials-verification-policy=Sometimes'), /invalid argument "Sometimes" for "--image-pull-credentials-verification-policy" flag: unknown image pull credential verification policy/);
  assert.throws(() => opts('--image-pull-credentials-verification-policy=NeverVerifyAllowlistedImages', '--preloaded-images-verification-allowlist=x/*/y'), /"--preloaded-images-verification-allowlist" flag: not a valid wildcard pattern/);
  assert.throws(() => opts('--preloaded-images-verification-allowlist=registry.example/*'), /only used with --image-pull-credentials-verification-policy=NeverVerifyAllowlistedImages, not NeverVerifyPreloadedImages/);
  for (const v of ['0', '-1', '1.5', 'many']) assert.throws(() => opts(`--image-max-layers=${v}`), /"--image-max-layers" flag: must be a positive integer/, v);
  for (const v of ['0', '-1Gi', '1m', 'big']) assert.throws(() => opts(`--image-max-uncompressed-size=${v}`), /"--image-max-uncompressed-size" flag: must be a positive whole number of bytes/, v);
});
