import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { parseLabelSelector, selectorFromMetav1 } from './label-selector.ts';

describe('parseLabelSelector matching', () => {
  const cases: [string, Record<string, string>, boolean][] = [
    ['', { a: '1' }, true],
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'web' }, true],
    ['app=web', { app: 'db' }, false],
    ['app=web', {}, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['app in (web,db)', { app: 'db' }, true],
    ['app in (web,db)', { app: 'x' }, false],
    ['app notin (web,db)', { app: 'x' }, true],
    ['app notin (web,db)', {}, true],
    ['app', { app: '' }, true],
    ['app', {}, false],
    ['!app', {}, true],
    ['!app', { app: 'x' }, false],
    ['n>5', { n: '6' }, true],
    ['n>5', { n: '5' }, false],
    ['n<5', { n: '-1' }, true],
    ['n<5', { n: 'x' }, false],
    ['a=1,b=2', { a: '1', b: '2' }, true],
    ['a=1, b=2', { a: '1', b: '3' }, false],
    ['in=notin', { in: 'notin' }, true],
    ['a in ()', { a: '' }, true],
    ['a=', { a: '' }, true],
    ['example.com/tier in (front, back),!legacy', { 'example.com/tier': 'back' }, true],
  ];
  for (const [sel, labels, want] of cases) {
    test(`${JSON.stringify(sel)} on ${JSON.stringify(labels)} → ${want}`, () => {
      assert.equal(parseLabelSelector(sel).matches(labels), want);
    });
  }
});

describe('parseLabelSelector errors', () => {
  const q = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  const cases: [string, string][] = [
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a in b', "unable to parse requirement: found 'b' expected: '('"],
    ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a,', "found '', expected: identifier after ','"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['-a=b', `unable to parse requirement: <nil>: Invalid value: "-a": ${q}`],
    ['n>x', 'unable to parse requirement: values[0]: Invalid value: "x": for \'Gt\', \'Lt\' operators, the value must be an integer'],
    ['a=b-', 'unable to parse requirement: values[0][a]: Invalid value: "b-": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')'],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
  ];
  for (const [sel, msg] of cases) {
    test(JSON.stringify(sel), () => {
      assert.throws(
        () => parseLabelSelector(sel),
        (e: unknown) => e instanceof ApiError && e.code === 400 && e.reason === 'BadRequest' && e.message === msg,
      );
    });
  }
});

test('requirements are sorted by key and values de-duplicated', () => {
  const s = parseLabelSelector('z=1,a in (y,x,y)');
  assert.deepEqual(
    s.requirements.map((r) => [r.key, r.operator, r.values]),
    [
      ['a', 'in', ['x', 'y']],
      ['z', '=', ['1']],
    ],
  );
  assert.equal(s.toString(), 'a in (x,y),z=1');
  assert.equal(s.empty, false);
  assert.equal(parseLabelSelector('  ').empty, true);
});

describe('selectorFromMetav1', () => {
  test('nil selects nothing, empty selects everything', () => {
    assert.equal(selectorFromMetav1(undefined).matches({}), false);
    assert.equal(selectorFromMetav1(undefined).empty, false);
    assert.equal(selectorFromMetav1({}).matches({ a: 'b' }), true);
    assert.equal(selectorFromMetav1({}).empty, true);
  });
  const cases: [object, Record<string, string>, boolean][] = [
    [{ matchLabels: { app: 'web' } }, { app: 'web', x: 'y' }, true],
    [{ matchLabels: { app: 'web' } }, { app: 'db' }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] }, { env: 'b' }, true],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['a'] }] }, { env: 'a' }, false],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, {}, true],
  ];
  for (const [sel, labels, want] of cases) {
    test(`${JSON.stringify(sel)} on ${JSON.stringify(labels)}`, () => {
      assert.equal(selectorFromMetav1(sel as never).matches(labels), want);
    });
  }
  test('bad operator and empty In values are errors', () => {
    assert.throws(() => selectorFromMetav1({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), /"Gt" is not a valid label selector operator/);
    assert.throws(() => selectorFromMetav1({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), /values set can't be empty/);
  });
});
