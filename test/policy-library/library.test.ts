/**
 * The policy library (policies/library) through `portcullis policy test`: every library test
 * passes, every library policy has expectations in a test, and no expression in the library
 * fails to compile (a compile error would only show as a denial under failurePolicy Fail).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidatingAdmissionPolicy } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicy } from '../../src/admission/cel/compile-policy.ts';
import { runPolicy } from '../../src/cli/policy.ts';
import { readManifestFile } from '../../src/policy-cli/manifests.ts';
import { findTestFiles, loadPolicyTest } from '../../src/policy-cli/test-file.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const library = join(repoRoot, 'policies', 'library');

/** The library's own policies: the manifests beside (not under test/) each directory. */
function libraryPolicies(): { dir: string; policy: ValidatingAdmissionPolicy }[] {
  const out: { dir: string; policy: ValidatingAdmissionPolicy }[] = [];
  for (const dir of readdirSync(library).sort()) {
    for (const f of readdirSync(join(library, dir)).filter((n) => n.endsWith('.yaml')).sort()) {
      for (const { object } of readManifestFile(join(library, dir, f))) if (object.kind === 'ValidatingAdmissionPolicy') out.push({ dir, policy: object as ValidatingAdmissionPolicy });
    }
  }
  return out;
}

test('portcullis policy test policies/library: every case passes', async () => {
  let out = '';
  const code = await runPolicy(['test', library], (s) => (out += s), repoRoot);
  assert.equal(code, 0, out);
  const summary = /(\d+) cases: (\d+) passed, 0 failed\n$/.exec(out);
  assert.ok(summary && summary[1] === summary[2] && Number(summary[1]) >= 50, out);
});

test('every library directory has a test, and every library policy is exercised by one (pass and fail)', () => {
  const policies = libraryPolicies();
  assert.ok(policies.length >= 8);
  const tests = findTestFiles(library).map(loadPolicyTest);
  for (const dir of readdirSync(library)) assert.ok(existsSync(join(library, dir, 'test', 'portcullis-test.yaml')), `${dir} has no test/portcullis-test.yaml`);
  for (const { dir, policy } of policies) {
    const name = policy.metadata!.name!;
    const results = tests.flatMap((t) => t.results).filter((r) => r.policy === name);
    assert.ok(results.some((r) => r.result === 'pass'), `${dir}: no test expects ${name} to pass`);
    assert.ok(results.some((r) => r.result === 'fail'), `${dir}: no test expects ${name} to fail`);
  }
});

test('every expression of the library compiles', () => {
  for (const { dir, policy } of libraryPolicies()) {
    const c = compilePolicy(policy);
    const all = [...c.matchConditions.map((m) => m.condition), ...c.variables.values(), ...c.validations.flatMap((v) => [v.condition, ...(v.messageExpression ? [v.messageExpression] : [])])];
    for (const e of all) assert.equal(e.error, undefined, `${dir}/${policy.metadata!.name}: ${e.expression}: ${e.error}`);
  }
});
