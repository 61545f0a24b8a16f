import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveFormat, matchesFormat } from './schema-formats.ts';

const checks: [string, string, boolean][] = [
  ['date-time', '2024-01-02T03:04:05Z', true],
  ['date-time', '2024-01-02T03:04:05.123+02:00', true],
  ['date-time', '2023-02-29T00:00:00Z', false],
  ['date-time', 'now', false],
  ['date', '2024-02-29', true],
  ['date', '2024-13-01', false],
  ['byte', 'aGVsbG8=', true],
  ['byte', 'aGVsbG8', false],
  ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
  ['uuid', 'xyz', false],
  ['ipv4', '10.0.0.1', true],
  ['ipv4', '::1', false],
  ['ipv6', '::1', true],
  ['cidr', '10.0.0.0/8', true],
  ['cidr', '10.0.0.0', false],
  ['hostname', 'example.com', true],
  ['hostname', 'bad host', false],
  ['quantity', '10Gi', true],
  ['quantity', 'ten', false],
  ['k8s-short-name', 'my-name', true],
  ['k8s-short-name', 'My-Name', false],
];

for (const [format, value, ok] of checks) {
  test(`format ${format}: ${JSON.stringify(value)} → ${ok}`, () => assert.equal(matchesFormat(format, value), ok));
}

const effective: [object, string][] = [
  [{ type: 'string', format: 'date-time' }, 'date-time'],
  [{ type: 'string', format: 'banana' }, ''],
  [{ type: 'integer', format: 'int32' }, 'int32'],
  [{ type: 'integer', format: 'date-time' }, ''],
  [{ type: 'number', format: 'double' }, 'double'],
  [{ type: 'boolean', format: 'byte' }, ''],
  [{ format: 'uuid' }, 'uuid'],
];

for (const [schema, want] of effective) {
  test(`effectiveFormat(${JSON.stringify(schema)}) = ${JSON.stringify(want)}`, () => assert.equal(effectiveFormat(schema), want));
}
