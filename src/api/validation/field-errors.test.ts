import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  aggregateMessage,
  duplicate,
  errorBody,
  errorString,
  forbidden,
  GoValue,
  invalid,
  notSupported,
  path,
  required,
  toStatusCauses,
  tooLong,
  tooMany,
  type FieldError,
} from './field-errors.ts';

test('paths render as upstream field.Path', () => {
  assert.equal(path('spec').child('containers').index(0).child('image').toString(), 'spec.containers[0].image');
  assert.equal(path('metadata').child('labels').key('foo').toString(), 'metadata.labels[foo]');
  assert.equal(path().child('a', 'b').toString(), 'a.b');
  assert.equal(path('spec', 'template').child('metadata', 'labels').toString(), 'spec.template.metadata.labels');
});

describe('error bodies', () => {
  const p = path('x');
  const cases: [FieldError, string][] = [
    [required(p), 'Required value'],
    [required(p, 'name or generateName is required'), 'Required value: name or generateName is required'],
    [invalid(p, 'a b', 'bad'), 'Invalid value: "a b": bad'],
    [invalid(p, 5, 'must be greater than or equal to 0'), 'Invalid value: 5: must be greater than or equal to 0'],
    [invalid(p, null, 'x'), 'Invalid value: "null": x'],
    [invalid(p, ['a', 'b'], 'x'), 'Invalid value: []string{"a", "b"}: x'],
    [invalid(p, { b: '2', a: '1' }, 'x'), 'Invalid value: map[string]string{"a":"1", "b":"2"}: x'],
    [invalid(p, new GoValue('25%'), 'x'), 'Invalid value: 25%: x'],
    [notSupported(p, 'Sometimes', ['Always', 'OnFailure', 'Never']), 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    [duplicate(p, 'c'), 'Duplicate value: "c"'],
    [forbidden(p, 'not allowed on this type'), 'Forbidden: not allowed on this type'],
    [tooLong(p, 'xxx', 262144), 'Too long: may not be more than 262144 bytes'],
    [tooLong(p, 'x', 1), 'Too long: may not be more than 1 byte'],
    [tooMany(p, 5, 3), 'Too many: 5: must have at most 3 items'],
    [tooMany(p, -1, 3), 'Too many: must have at most 3 items'],
  ];
  for (const [e, want] of cases) test(want, () => assert.equal(errorBody(e), want));
});

test('toStatusCauses carries reason, body and field', () => {
  const errs = [required(path('spec', 'containers')), invalid(path('metadata', 'name'), 'A', 'bad')];
  assert.deepEqual(toStatusCauses(errs), [
    { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' },
    { reason: 'FieldValueInvalid', message: 'Invalid value: "A": bad', field: 'metadata.name' },
  ]);
  assert.equal(errorString(errs[0] as FieldError), 'spec.containers: Required value');
});

test('aggregateMessage drops duplicates and brackets several', () => {
  const a = required(path('a'));
  const b = required(path('b'));
  assert.equal(aggregateMessage([a]), 'a: Required value');
  assert.equal(aggregateMessage([a, b, a]), '[a: Required value, b: Required value]');
});
