/**
 * Upstream's Pod Security fixtures (k8s.io/pod-security-admission test/testdata, see
 * ../shared/conformance/pod-security/SOURCE.txt): for every level and policy version, each pass/
 * pod must be admitted and each fail/ pod denied, by the check its file name names (or by the
 * restricted check that overrides that baseline check at that version). The fixtures are read in
 * place and never copied into the repository.
 *
 * Upstream checks these pods through a live API server, so each is defaulted first (as our pipeline
 * does before validating admission): restricted/*\/pass/restrictedvolumes0.yaml names a volume with
 * no source, which only passes once defaulted to emptyDir.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parse } from 'yaml';
import { defaultPod } from '../../src/api/defaults/pod.ts';
import {
  activeChecks, DEFAULT_CHECKS, denialMessage, evaluatePod, overridingCheck,
} from '../../src/admission/pod-security/index.ts';
import type { Level, PolicyVersion } from '../../src/admission/pod-security/index.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const root = join(repoRoot, '..', 'shared', 'conformance', 'pod-security');
const testdata = join(root, 'test', 'testdata');
const requireAll = process.env.PORTCULLIS_REQUIRE_ALL === '1';
const present = existsSync(testdata);

const checkIdByLowerCase = new Map(DEFAULT_CHECKS.map((c) => [c.id.toLowerCase(), c.id]));

interface Derived {
  activeChecksByLevelVersion: Record<string, { activeChecks: Record<string, string>; overriddenChecks: string[] }>;
}

function versionDirs(level: string): string[] {
  return readdirSync(join(testdata, level))
    .filter((d) => /^v1\.\d+$/.test(d))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

function loadPod(path: string): Pod {
  const pod = parse(readFileSync(path, 'utf8')) as Pod;
  defaultPod(pod);
  return pod;
}

function yamlFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() : [];
}

const tally = { pass: 0, fail: 0, passOk: 0, failOk: 0 };

describe('pod security fixtures (upstream test/testdata)', { skip: !present && !requireAll && `fixtures not found at ${testdata}` }, () => {
  test('fixtures are present', () => {
    assert.ok(present, `PORTCULLIS_REQUIRE_ALL=1 but fixtures are missing at ${testdata}`);
  });
  if (!present) return;

  const derived = JSON.parse(readFileSync(join(root, 'policy-checks.derived.json'), 'utf8')) as Derived;

  for (const level of ['baseline', 'restricted'] as const satisfies readonly Level[]) {
    for (const version of versionDirs(level) as PolicyVersion[]) {
      test(`${level}/${version}`, () => {
        const problems: string[] = [];
        const want = derived.activeChecksByLevelVersion[`${level}/${version}`];
        if (want) {
          assert.deepEqual([...activeChecks(level, version)].sort(), Object.keys(want.activeChecks).sort(),
            `active checks at ${level}/${version}`);
        }
        for (const kind of ['pass', 'fail'] as const) {
          const dir = join(testdata, level, version, kind);
          for (const file of yamlFiles(dir)) {
            const pod = loadPod(join(dir, file));
            const res = evaluatePod(level, version, pod.metadata, pod.spec);
            tally[kind]++;
            if (kind === 'pass') {
              if (res.allowed) tally.passOk++;
              else problems.push(`${kind}/${file}: denied: ${denialMessage(level, version, res.results)}`);
              continue;
            }
            const prefix = file.replace(/\d*\.yaml$/, '');
            const named = checkIdByLowerCase.get(prefix);
            if (!named) { problems.push(`${kind}/${file}: unknown check prefix ${prefix}`); continue; }
            const expected = (level === 'restricted' && overridingCheck(version, named)) || named;
            if (res.allowed) problems.push(`${kind}/${file}: allowed, expected denial by ${expected}`);
            else if (!res.results.some((r) => r.check === expected)) {
              problems.push(`${kind}/${file}: denied, but not by ${expected}: ${denialMessage(level, version, res.results)}`);
            } else tally.failOk++;
          }
        }
        assert.deepEqual(problems, []);
      });
    }
  }

  test('"latest" and versions past the newest evaluate as the newest version', () => {
    const newest = versionDirs('restricted').at(-1)!;
    for (const kind of ['pass', 'fail'] as const) {
      const dir = join(testdata, 'restricted', newest, kind);
      for (const file of yamlFiles(dir)) {
        const pod = loadPod(join(dir, file));
        const at = evaluatePod('restricted', newest, pod.metadata, pod.spec);
        assert.deepEqual(evaluatePod('restricted', 'latest', pod.metadata, pod.spec), at, file);
        assert.deepEqual(evaluatePod('restricted', 'v1.999', pod.metadata, pod.spec), at, file);
      }
    }
  });

  after(() => {
    const total = tally.pass + tally.fail;
    const ok = tally.passOk + tally.failOk;
    console.log(`pod-security fixtures: ${ok}/${total} ok ` +
      `(pass/ admitted ${tally.passOk}/${tally.pass}, fail/ denied by the named check ${tally.failOk}/${tally.fail})`);
  });
});
