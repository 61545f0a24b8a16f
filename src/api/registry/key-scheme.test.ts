/**
 * Issue 18: one module owns the key scheme. Every storage key or prefix in the code is built by
 * resource-def.ts (storagePrefix, objectKey, builtinKey, builtinPrefix, builtinGroupPrefix,
 * internalPrefix, customResourcePrefix); no other source file spells out a `/registry/` key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinGroupPrefix, builtinKey, builtinPrefix, internalPrefix, objectKey } from './resource-def.ts';

const SRC = fileURLToPath(new URL('../..', import.meta.url));
const OWNER = 'api/registry/resource-def.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

test('no source file but resource-def.ts writes a /registry/ key by hand', () => {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    if (rel === OWNER) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = line.trimStart();
      if (code.startsWith('*') || code.startsWith('//') || code.startsWith('/*')) return;
      if (/['"`]\/registry\//.test(code)) found.push(`${rel}:${i + 1}: ${code.slice(0, 120)}`);
    });
  }
  assert.deepEqual(found, []);
});

test('the helpers give the layout objectKey gives', () => {
  assert.equal(builtinKey('', 'pods', 'ns', 'p'), objectKey({ group: '', resource: 'pods', namespaced: true }, 'ns', 'p'));
  assert.equal(builtinKey('', 'nodes', 'n'), objectKey({ group: '', resource: 'nodes', namespaced: false }, '', 'n'));
  assert.equal(builtinKey('', 'limitranges', 'ns', ''), '/registry/core/limitranges/ns/');
  assert.equal(builtinPrefix('storage.k8s.io', 'storageclasses'), '/registry/storage.k8s.io/storageclasses/');
  assert.equal(builtinGroupPrefix('rbac.authorization.k8s.io'), '/registry/rbac.authorization.k8s.io/');
  assert.equal(builtinGroupPrefix(''), '/registry/core/');
  assert.equal(internalPrefix('servicenodeports', 'ports'), '/registry/_servicenodeports/ports/');
});
