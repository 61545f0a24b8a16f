import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preparedCrds } from '../../../image-policy/trust-policy/install.ts';
import { policyExceptionAndReportCrds } from './crds.ts';

test('the exception and report CRDs are valid structural CRDs', () => {
  const crds = preparedCrds(policyExceptionAndReportCrds());
  assert.deepEqual(
    crds.map((c) => [c.metadata.name, c.spec.scope]),
    [
      ['policyexceptions.policy.portcullis.dev', 'Cluster'],
      ['policyreports.wgpolicyk8s.io', 'Namespaced'],
      ['clusterpolicyreports.wgpolicyk8s.io', 'Cluster'],
    ],
  );
  const result = crds[1]!.spec.versions[0].schema.openAPIV3Schema.properties.results.items.properties;
  assert.deepEqual(result.result.enum, ['pass', 'fail', 'warn', 'error', 'skip']);
});
