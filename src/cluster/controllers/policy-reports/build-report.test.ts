import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportContent, reportObject, sameContent, TRUNCATED_ANNOTATION } from './build-report.ts';
import type { ReportResult, ResultKind } from './evaluate-object.ts';

const r = (name: string, result: ResultKind): ReportResult => ({ source: 'ValidatingAdmissionPolicy', policy: 'p', rule: 'b', result, scored: true, resources: [{ apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name }] });

test('bounded: failures first, at most maxResults listed, the summary counts every result', () => {
  const all = [r('a', 'pass'), r('b', 'fail'), r('c', 'warn'), r('d', 'error'), r('e', 'fail'), r('f', 'skip')];
  const c = reportContent(all, 3);
  assert.deepEqual(c.summary, { pass: 1, fail: 2, warn: 1, error: 1, skip: 1 });
  assert.deepEqual(c.results.map((x) => `${x.resources[0]!.name}:${x.result}`), ['b:fail', 'e:fail', 'd:error']);
  assert.equal(c.truncated, true);
  assert.equal(reportContent(all, 10).truncated, false);
});

test('the report object, and a rewrite only when the content changed (timestamps aside)', () => {
  const c = reportContent([r('a', 'fail')], 10);
  const ns = reportObject('ns', c, new Date(5000));
  assert.equal(ns.kind, 'PolicyReport');
  assert.equal(ns.metadata.namespace, 'ns');
  assert.deepEqual(ns.results[0].timestamp, { seconds: 5, nanos: 0 });
  assert.equal(reportObject('', c, new Date(0)).kind, 'ClusterPolicyReport');
  assert.equal(sameContent(reportObject('ns', c, new Date(9000)), c), true);
  assert.equal(sameContent(ns, reportContent([r('a', 'pass')], 10)), false);
  const truncated = reportContent([r('a', 'fail'), r('b', 'fail')], 1);
  assert.equal(reportObject('ns', truncated, new Date(0)).metadata.annotations[TRUNCATED_ANNOTATION], 'true');
  assert.equal(sameContent(ns, truncated), false);
  assert.equal(sameContent(undefined, c), false);
});
