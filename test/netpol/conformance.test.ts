/**
 * Every case of np-guard's netpol-analyzer in ../shared/conformance/netpol: the connections our
 * model permits for the case's manifests must equal the reviewed golden list, as a set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionList } from '../../src/cluster/netpol/connlist.ts';
import { readManifestDir, snapshotFromObjects } from '../../src/cluster/netpol/manifests.ts';
import { requirePart } from '../helpers/real-parts.ts';

const root = fileURLToPath(new URL('../../../shared/conformance/netpol', import.meta.url));
const present = existsSync(join(root, 'INDEX.json'));
const cases = present ? (JSON.parse(readFileSync(join(root, 'INDEX.json'), 'utf8')) as Array<{ case: string; category: string }>) : [];

test('netpol conformance fixtures are present', { skip: requirePart(`netpol conformance cases at ${root}`, present) }, () => {
  assert.ok(cases.length >= 40, `expected the np-guard cases, found ${cases.length}`);
});

for (const c of cases) {
  test(`netpol analyze matches np-guard: ${c.case} (${c.category})`, () => {
    const dir = join(root, 'cases', c.case);
    const got = connectionList(snapshotFromObjects(readManifestDir(join(dir, 'input'))));
    const want = JSON.parse(readFileSync(join(dir, 'expected-connlist.json'), 'utf8')) as Array<{ src: string; dst: string; conn: string }>;
    const key = (x: { src: string; dst: string; conn: string }): string => `${x.src} => ${x.dst} : ${x.conn}`;
    const gotSet = new Set(got.map(key));
    const wantSet = new Set(want.map(key));
    const missing = [...wantSet].filter((k) => !gotSet.has(k));
    const extra = [...gotSet].filter((k) => !wantSet.has(k));
    assert.deepEqual({ missing: missing.slice(0, 10), extra: extra.slice(0, 10), counts: [missing.length, extra.length] }, { missing: [], extra: [], counts: [0, 0] });
  });
}
