import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { errorString } from './field-errors.ts';
import {
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validatePathSegmentName,
  type MetaOptions,
} from './meta.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const ns: MetaOptions = { namespaced: true, nameFn: nameIsDNSSubdomain };
const cluster: MetaOptions = { namespaced: false, nameFn: nameIsDNSSubdomain };

describe('validateObjectMeta', () => {
  const cases: [string, ObjectMeta, MetaOptions, string[]][] = [
    ['valid', { name: 'a.b-c', namespace: 'default' }, ns, []],
    ['name required', { namespace: 'default' }, ns, ['metadata.name: Required value: name or generateName is required']],
    ['bad subdomain', { name: 'Foo', namespace: 'default' }, ns, [`metadata.name: Invalid value: "Foo": ${SUBDOMAIN_MSG}`]],
    ['namespace required', { name: 'a' }, ns, ['metadata.namespace: Required value']],
    ['namespace forbidden', { name: 'a', namespace: 'x' }, cluster, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['mixed-case label keys are valid', { name: 'a', namespace: 'default', labels: { 'Foo.Bar': 'x' } }, ns, []],
    ['prefixed label key with empty name part', { name: 'a', namespace: 'default', labels: { 'example.com/': 'x' } }, ns, [
      'metadata.labels: Invalid value: "example.com/": name part must be non-empty',
      "metadata.labels: Invalid value: \"example.com/\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]],
    ['dns label name', { name: 'a.b' }, { namespaced: false, nameFn: nameIsDNSLabel }, [`metadata.name: Invalid value: "a.b": ${LABEL_MSG}`]],
    ['generateName with trailing dash is fine', { generateName: 'web-', namespace: 'default', name: 'web-abcde' }, ns, []],
    ['generateName bad', { generateName: 'Web-', namespace: 'default', name: 'web-x' }, ns, [`metadata.generateName: Invalid value: "Web-": ${SUBDOMAIN_MSG}`]],
    [
      'label value too long',
      { name: 'a', namespace: 'default', labels: { k: 'v'.repeat(64) } },
      ns,
      [
        `metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
      ],
    ],
    [
      'annotation key',
      { name: 'a', namespace: 'default', annotations: { 'a/b/c': 'x' } },
      ns,
      [
        "metadata.annotations: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    ],
    [
      'annotations too large',
      { name: 'a', namespace: 'default', annotations: { big: 'x'.repeat(256 * 1024) } },
      ns,
      ['metadata.annotations: Too long: may not be more than 262144 bytes'],
    ],
    [
      'unqualified finalizer',
      { name: 'a', namespace: 'default', finalizers: ['custom', 'kubernetes', 'example.com/x'] },
      ns,
      ['metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'],
    ],
    [
      'owner references',
      {
        name: 'a',
        namespace: 'default',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r1', uid: 'u1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r2', uid: '', controller: true },
        ],
      },
      ns,
      [
        'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
        'metadata.ownerReferences: Invalid value: ' +
          JSON.stringify([
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r1', uid: 'u1', controller: true },
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r2', uid: '', controller: true },
          ]) +
          ': Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/r1 and ReplicaSet/r2',
      ],
    ],
  ];
  for (const [name, meta, opts, want] of cases) {
    test(name, () => assert.deepEqual(validateObjectMeta(meta, opts).map(errorString), want));
  }
});

describe('validatePathSegmentName', () => {
  const cases: [string, boolean, string[]][] = [
    ['system:admin', false, []],
    ['.', false, ["may not be '.'"]],
    ['..', false, ["may not be '..'"]],
    ['a/b', false, ["may not contain '/'"]],
    ['a%b', true, ["may not contain '%'"]],
    ['.', true, []],
  ];
  for (const [n, prefix, want] of cases) test(`${n} prefix=${prefix}`, () => assert.deepEqual(validatePathSegmentName(n, prefix), want));
});

describe('validateObjectMetaUpdate', () => {
  const old: ObjectMeta = { name: 'a', namespace: 'n', uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: '5' };
  const cases: [string, ObjectMeta, string[]][] = [
    ['unchanged', { ...old }, []],
    ['name', { ...old, name: 'b' }, ['metadata.name: Invalid value: "b": field is immutable']],
    ['namespace', { ...old, namespace: 'm' }, ['metadata.namespace: Invalid value: "m": field is immutable']],
    ['uid', { ...old, uid: 'v' }, ['metadata.uid: Invalid value: "v": field is immutable']],
    [
      'creationTimestamp',
      { ...old, creationTimestamp: '2025-01-01T00:00:00Z' },
      ['metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable'],
    ],
    ['resourceVersion required', { ...old, resourceVersion: '' }, ['metadata.resourceVersion: Invalid value: "": must be specified for an update']],
  ];
  for (const [name, next, want] of cases) test(name, () => assert.deepEqual(validateObjectMetaUpdate(next, old).map(errorString), want));

  test('no new finalizers while deleting', () => {
    const deleting = { ...old, deletionTimestamp: '2024-02-01T00:00:00Z', finalizers: ['a/x'] };
    const errs = validateObjectMetaUpdate({ ...deleting, finalizers: ['a/x', 'b/y'] }, deleting).map(errorString);
    assert.deepEqual(errs, ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b/y"}']);
  });
});
