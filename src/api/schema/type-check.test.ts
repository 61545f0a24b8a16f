import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema } from './schema.ts';
import { findTypeError } from './type-check.ts';
import { base64Error } from './go-base64.ts';
import { rfc3339Error } from './go-time.ts';

const schema = loadSchema();
const POD = 'k8s.io.api.core.v1.Pod';
const pod = (extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] }, ...extra });

test('json dialect: the first mismatch in document order, with Go struct field context', () => {
  assert.equal(findTypeError(schema, POD, pod({}), 'json'), undefined);
  assert.equal(
    findTypeError(schema, POD, pod({ metadata: { name: 'p', labels: 'invalid' } }), 'json'),
    'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string',
  );
  assert.equal(
    findTypeError(schema, POD, pod({ spec: { containers: 'oops' } }), 'json'),
    'json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container',
  );
  assert.equal(
    findTypeError(schema, POD, pod({ metadata: { labels: { a: 1 } } }), 'json'),
    'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
  );
  assert.equal(
    findTypeError(schema, POD, pod({ spec: { containers: [{ name: 'c', env: [{ name: 'x', value: 5 }] }] } }), 'json'),
    'json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string',
  );
  assert.equal(
    findTypeError(schema, POD, pod({ spec: { containers: [], priority: 2 ** 31 } }), 'json'),
    'json: cannot unmarshal number 2147483648 into Go struct field PodSpec.spec.priority of type int32',
  );
  assert.equal(findTypeError(schema, POD, pod({ spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] } }), 'json'),
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  // ParseQuantity's other errors, and what it accepts although it looks wrong ("." is 0, " 1" is trimmed).
  const limits = (cpu: unknown) => pod({ spec: { containers: [{ name: 'c', resources: { limits: { cpu } } }] } });
  assert.equal(findTypeError(schema, POD, limits('0.1mi'), 'json'), "unable to parse quantity's suffix");
  assert.equal(findTypeError(schema, POD, limits('.e-10'), 'unstructured'), 'unable to parse numeric part of quantity');
  for (const ok of ['.', ' 1', '1.G', 0.5]) assert.equal(findTypeError(schema, POD, limits(ok), 'json'), undefined, String(ok));
  // Unknown fields and nulls are not type errors.
  assert.equal(findTypeError(schema, POD, pod({ spec: { containers: null, nope: 'x' }, status: null }), 'json'), undefined);
  // A later UnmarshalJSON failure ends decoding and wins over an earlier mismatch.
  assert.equal(
    findTypeError(schema, POD, pod({ metadata: { labels: 'x', creationTimestamp: 5 } }), 'json'),
    'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp of type string',
  );
  assert.equal(
    findTypeError(schema, 'k8s.io.api.core.v1.Secret', { metadata: {}, data: { a: 'not base64!' } }, 'json'),
    'illegal base64 data at input byte 3',
  );
  assert.equal(
    findTypeError(schema, 'k8s.io.api.core.v1.Service', { metadata: {}, spec: { ports: [{ port: 80, targetPort: true }] } }, 'json'),
    'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32',
  );
});

test('unstructured dialect: FromUnstructured messages in declaration order', () => {
  assert.equal(findTypeError(schema, POD, pod({ metadata: { labels: 'invalid' } }), 'unstructured'), 'cannot restore map from string');
  assert.equal(findTypeError(schema, POD, pod({ spec: { containers: 'oops' } }), 'unstructured'), 'cannot restore slice from string');
  assert.equal(findTypeError(schema, POD, pod({ spec: 'x' }), 'unstructured'), 'cannot restore struct from: string');
  assert.equal(findTypeError(schema, POD, pod({ spec: { containers: [], priority: 'x' } }), 'unstructured'), 'unrecognized type: int32');
  assert.equal(findTypeError(schema, POD, pod({ spec: { containers: [], nodeName: 3 } }), 'unstructured'), 'cannot convert int64 to string');
  assert.equal(findTypeError(schema, POD, pod({ spec: { containers: [], priority: 1.5 } }), 'unstructured'), 'cannot convert float64 to int32');
});

test('base64 and RFC 3339 errors as Go reports them', () => {
  assert.equal(base64Error('aGVsbG8='), undefined);
  assert.equal(base64Error('aGVs\nbG8='), undefined);
  assert.equal(base64Error('abc'), 'illegal base64 data at input byte 0');
  assert.equal(base64Error('ab=c'), 'illegal base64 data at input byte 2');
  assert.equal(base64Error('aGVsbG8=x'), 'illegal base64 data at input byte 8');
  assert.equal(rfc3339Error('2024-02-29T10:00:00Z'), undefined);
  assert.equal(rfc3339Error('2024-02-29T10:00:00.123+02:00'), undefined);
  assert.equal(rfc3339Error('yesterday'), 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"');
  assert.equal(rfc3339Error('2024-13-01T00:00:00Z'), 'parsing time "2024-13-01T00:00:00Z": month out of range');
  assert.equal(rfc3339Error('2023-02-29T00:00:00Z'), 'parsing time "2023-02-29T00:00:00Z": day out of range');
  assert.equal(rfc3339Error('2024-01-01 00:00:00Z'), 'parsing time "2024-01-01 00:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 00:00:00Z" as "T"');
  assert.equal(rfc3339Error('2024-01-01T00:00:00Zjunk'), 'parsing time "2024-01-01T00:00:00Zjunk": extra text: "junk"');
});
