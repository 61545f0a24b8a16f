/**
 * Upstream's Pod Security fixtures as pods to validate: upstream creates each of them through a live
 * API server, so every one (pass and fail alike; a fail pod is denied by admission, not validation)
 * must pass our pod validation once defaulted, securityContext rules included. The fixtures are read
 * in place (../shared/conformance/pod-security, see SOURCE.txt); their names are file names with
 * underscores, so each is validated under a fixed valid name.
 *
 * One known exception: from v1.35 the procMount fail fixtures set procMount Unmasked with
 * hostUsers: true, which 1.33's ValidateSecurityContext refuses ("`hostUsers` must be false to use
 * `Unmasked`"; the v1.31-v1.34 fixtures set hostUsers: false for that reason). This server validates
 * as 1.33, so those few are expected to fail with exactly that error.
 *
 * Upstream's test server allows privileged containers (the privileged fixtures are meant to reach
 * admission), so they are validated as by a server started with --allow-privileged.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parse } from 'yaml';
import { defaultPod } from '../../src/api/defaults/pod.ts';
import { validatePod } from '../../src/api/validation/core/pod.ts';
import { errorString } from '../../src/api/validation/field-errors.ts';
import { withCapabilities } from '../../src/api/validation/capabilities.ts';

const testdata = join(import.meta.dirname, '..', '..', '..', 'shared', 'conformance', 'pod-security', 'test', 'testdata');
const present = existsSync(testdata);
const skip = !present && process.env.PORTCULLIS_REQUIRE_ALL !== '1' ? `no fixtures at ${testdata}` : false;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : f.endsWith('.yaml') ? [p] : [];
  });
}

const UNMASKED = /^(spec\.(init)?[cC]ontainers\[0\]\.securityContext\.procMount): Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`$/;

test('every upstream Pod Security fixture pod passes pod validation (bar the v1.35+ procMount ones)', { skip }, () => {
  let pods = 0;
  const failures: string[] = [];
  for (const file of files(testdata)) {
    const pod = parse(readFileSync(file, 'utf8')) as Pod;
    if (pod?.kind !== 'Pod') continue;
    pods++;
    const p = structuredClone(pod) as Pod & { metadata: { name: string; namespace?: string } };
    p.metadata = { ...p.metadata, name: 'fixture', namespace: 'default' };
    defaultPod(p);
    const errs = withCapabilities({ allowPrivileged: true }, () => validatePod(p)).map(errorString);
    const rel = relative(testdata, file);
    const minor = Number(/\/v1\.(\d+)\//.exec(`/${rel}`)?.[1]);
    const expected = minor >= 35 && /\/fail\/procmount\d+\.yaml$/.test(`/${rel}`) && p.spec?.hostUsers !== false;
    if (expected) {
      assert.equal(errs.length, 1, `${rel}: ${errs.join('; ')}`);
      assert.match(errs[0] ?? '', UNMASKED, rel);
    } else if (errs.length > 0) {
      failures.push(`${rel}: ${errs.join('; ')}`);
    }
  }
  assert.ok(pods > 1000, `only ${pods} fixture pods found`);
  assert.deepEqual(failures, []);
});
