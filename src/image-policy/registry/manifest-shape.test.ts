import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkManifestShape } from './manifest-shape.ts';

test('manifest shape: descriptors with a digest, a size and a media type', () => {
  const d = { mediaType: 'm', digest: `sha256:${'a'.repeat(64)}`, size: 1 };
  assert.doesNotThrow(() => checkManifestShape({ schemaVersion: 2, config: d, layers: [d] }, 'application/vnd.oci.image.manifest.v1+json', 'x'));
  assert.doesNotThrow(() => checkManifestShape({ schemaVersion: 2, manifests: [d] }, 'application/vnd.oci.image.index.v1+json', 'x'));
  const bad: [unknown, RegExp][] = [
    [{ schemaVersion: 1, config: d, layers: [] }, /schemaVersion must be 2/],
    [{ schemaVersion: 2, config: d }, /no layers/],
    [{ schemaVersion: 2, config: d, layers: [{ ...d, digest: 'sha256:../../x' }] }, /layers\[0\] digest/],
    [{ schemaVersion: 2, config: { ...d, size: -1 }, layers: [] }, /config size -1/],
    [{ schemaVersion: 2, config: d, layers: [{ digest: d.digest, size: 1 }] }, /layers\[0\] has no mediaType/],
  ];
  for (const [doc, re] of bad) assert.throws(() => checkManifestShape(doc, 'application/vnd.oci.image.manifest.v1+json', 'x'), re);
  assert.throws(() => checkManifestShape({ schemaVersion: 2 }, 'application/vnd.oci.image.index.v1+json', 'x'), /without manifests/);
});
