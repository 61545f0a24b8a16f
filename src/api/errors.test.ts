import assert from 'node:assert/strict';
import test from 'node:test';
import { invalid } from './errors.ts';

test('invalid: the message is NewInvalid\'s, repeated messages dropped (ToAggregate), every cause kept', () => {
  const req = { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.x' };
  const e = invalid('Deployment', 'apps', 'd', [req, { reason: 'FieldValueInvalid', message: 'Invalid value: 1: bad', field: 'spec.y' }, req]);
  assert.equal(e.code, 422);
  assert.equal(e.message, 'Deployment.apps "d" is invalid: [spec.x: Required value, spec.y: Invalid value: 1: bad]');
  assert.equal(e.details?.causes?.length, 3);
  assert.equal(invalid('Pod', '', 'p', [req, req]).message, 'Pod "p" is invalid: spec.x: Required value');
});

test('invalid: no causes is a nil aggregate, and upstream then prints no colon', () => {
  assert.equal(invalid('Pod', '', 'p', []).message, 'Pod "p" is invalid');
});
