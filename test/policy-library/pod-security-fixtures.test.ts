/**
 * The library's Pod Security Standards as CEL (policies/library/pod-security) against upstream's
 * PodSecurity fixtures (k8s.io/pod-security-admission test/testdata, see
 * ../shared/conformance/pod-security/SOURCE.txt) at v1.37, the version the policies encode: every
 * pass/ pod must be admitted and every fail/ pod denied, baseline by pod-security-baseline alone,
 * restricted by both policies. Evaluated by the offline evaluator of `portcullis policy`, which
 * is the API server's plugin; each pod is defaulted first, as the server defaults it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readManifestFile } from '../../src/policy-cli/manifests.ts';
import { OfflineAdmission } from '../../src/policy-cli/offline-admission.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const testdata = join(repoRoot, '..', 'shared', 'conformance', 'pod-security', 'test', 'testdata');
const VERSION = 'v1.37';
const requireAll = process.env.PORTCULLIS_REQUIRE_ALL === '1';
const present = existsSync(join(testdata, 'baseline', VERSION));

const bind = (policyName: string) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: policyName }, spec: { policyName, validationActions: ['Deny'] } });

describe(`pod security as CEL against upstream's ${VERSION} fixtures`, { skip: !present && !requireAll && `fixtures not found at ${testdata}` }, () => {
  test('fixtures are present', () => assert.ok(present, `PORTCULLIS_REQUIRE_ALL=1 but fixtures are missing at ${testdata}`));
  if (!present) return;

  for (const level of ['baseline', 'restricted'] as const) {
    test(`${level}: every pass/ pod admitted, every fail/ pod denied`, async () => {
      const lib = join(repoRoot, 'policies', 'library', 'pod-security');
      const policies = ['baseline.yaml', 'restricted.yaml'].flatMap((f) => readManifestFile(join(lib, f)).map((s) => s.object));
      const names = level === 'baseline' ? ['pod-security-baseline'] : ['pod-security-baseline', 'pod-security-restricted'];
      const admission = await OfflineAdmission.open({ policies: policies.filter((p) => names.includes(p.metadata.name)), bindings: names.map(bind), params: [], namespaces: [] });
      const wrong: string[] = [];
      let counted = 0;
      try {
        for (const expect of ['pass', 'fail'] as const) {
          const dir = join(testdata, level, VERSION, expect);
          for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort()) {
            const verdicts = await admission.evaluate({ object: parse(readFileSync(join(dir, f), 'utf8')) });
            const denied = verdicts.some((v) => v.result === 'fail');
            counted++;
            if (denied !== (expect === 'fail')) wrong.push(`${expect}/${f}: ${denied ? verdicts.flatMap((v) => v.messages).join('; ') : 'admitted'}`);
          }
        }
      } finally {
        await admission.close();
      }
      assert.ok(counted >= (level === 'baseline' ? 40 : 90), `only ${counted} fixtures`);
      assert.deepEqual(wrong, []);
    });
  }
});
