import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { errorString } from '../field-errors.ts';
import { validateObject } from '../index.ts';
import { validatePod, validatePodUpdate } from './pod.ts';
import { goJsonSyntaxError } from './tolerations-annotation.ts';

const TA = 'scheduler.alpha.kubernetes.io/tolerations';

test("encoding/json's syntax errors, with its scanner's words", () => {
  const cases: Array<[string, string | undefined]> = [
    ['[]', undefined],
    ['null', undefined],
    [' [ {"key": "k", "tolerationSeconds": -1.5e+3} ] ', undefined],
    ['abc', "invalid character 'a' looking for beginning of value"],
    ['[', 'unexpected end of JSON input'],
    ['[1,', 'unexpected end of JSON input'],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 x', "invalid character 'x' after object key:value pair"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{,}', "invalid character ',' looking for beginning of object key string"],
    ['{"a":}', "invalid character '}' looking for beginning of value"],
    ['[] x', "invalid character 'x' after top-level value"],
    ['01', "invalid character '1' after top-level value"],
    ['tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['nil', "invalid character 'i' in literal null (expecting 'u')"],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['1e', "invalid character ' ' in exponent of numeric literal"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['"\t"', "invalid character '\\t' in string literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ["['a']", "invalid character '\\'' looking for beginning of value"],
    // A byte, not a character: the first byte of é's UTF-8 taken as U+00C3.
    ['é', "invalid character 'Ã' looking for beginning of value"],
  ];
  for (const [text, want] of cases) assert.equal(goJsonSyntaxError(text), want, text);
});

const pod = (annotation: string | undefined, extra: Record<string, string> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'default', resourceVersion: '1', annotations: { ...(annotation === undefined ? {} : { [TA]: annotation }), ...extra } },
  spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30, securityContext: {}, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }] } as Pod['spec'],
});
const errs = (p: Pod) => validatePod(p).map(errorString);

test('the annotation as ValidateTolerationsInPodAnnotations: Go\'s decoding errors at metadata.annotations, then ValidateTolerations', () => {
  const bad = (m: string) => [`metadata.annotations: Invalid value: "${TA}": ${m}`];
  assert.deepEqual(errs(pod('not json')), bad("invalid character 'o' in literal null (expecting 'u')"));
  assert.deepEqual(errs(pod('{"key":"k"}')), bad('json: cannot unmarshal object into Go value of type []core.Toleration'));
  assert.deepEqual(errs(pod('["k"]')), bad('json: cannot unmarshal string into Go value of type core.Toleration'));
  assert.deepEqual(errs(pod('[{"key":5}]')), bad('json: cannot unmarshal number into Go struct field Toleration.Key of type string'));
  assert.deepEqual(errs(pod('[{"key":"k","effect":"NoExecute","tolerationSeconds":1.5}]')), bad('json: cannot unmarshal number 1.5 into Go struct field Toleration.TolerationSeconds of type int64'));
  // The first type error wins; decoding went on past it.
  assert.deepEqual(errs(pod('[{"operator":true},{"value":[]}]')), bad('json: cannot unmarshal bool into Go struct field Toleration.Operator of type core.TolerationOperator'));
  // Field names match case-insensitively, unknown ones are ignored, null is the zero value.
  assert.deepEqual(errs(pod('[{"KEY":"k","Operator":"Exists","other":1},{"key":"k","value":null,"tolerationSeconds":null}]')), []);
  assert.deepEqual(errs(pod('[{"operator":"Equal"},{"key":"k","operator":"Exists","value":"v"},{"key":"k","tolerationSeconds":5}]')), [
    `metadata.annotations.${TA}[0].operator: Invalid value: "Equal": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`,
    `metadata.annotations.${TA}[1].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when \`operator\` is 'Exists'`,
    `metadata.annotations.${TA}[2].effect: Invalid value: "": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
  ]);
  assert.deepEqual(errs(pod('')), [], 'an empty value is not checked');
});

test('pods/status writes and templates check it too; an unchanged stored value is not judged again', () => {
  const refused = [`metadata.annotations: Invalid value: "${TA}": invalid character 'x' looking for beginning of value`];
  assert.deepEqual(validatePodUpdate(pod('x'), pod(undefined), 'status').map(errorString), refused);
  assert.deepEqual(validatePodUpdate(pod('x'), pod('[]'), 'status').map(errorString), refused);
  // Stored before this check: its status writes and label updates still pass.
  assert.deepEqual(validatePodUpdate(pod('x', { note: 'n' }), pod('x'), 'status').map(errorString), []);
  assert.deepEqual(validatePodUpdate(pod('x', { note: 'n' }), pod('x')).map(errorString), []);
  const d = (annotation: string): any => ({
    metadata: { name: 'd', namespace: 'default', resourceVersion: '1' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'a' } }, strategy: { type: 'Recreate' }, template: { metadata: { labels: { app: 'a' }, annotations: { [TA]: annotation } }, spec: pod(undefined).spec } },
  });
  const v = (o: unknown, old?: unknown) => validateObject({ group: 'apps', version: 'v1', kind: 'Deployment' }, o, old).map(errorString);
  assert.deepEqual(v(d('[{"key":"k","effect":"Sometimes"}]')), [`spec.template.annotations.${TA}[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`]);
  assert.deepEqual(v(d('{')), [`spec.template.annotations: Invalid value: "${TA}": unexpected end of JSON input`]);
  assert.deepEqual(v(d('{'), d('{')), []);
});
