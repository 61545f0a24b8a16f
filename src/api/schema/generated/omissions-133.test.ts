import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { KEPT_AFTER_133, omitAfter133, protoTypes } from '../../../../scripts/gen-schema.ts';
import { computeOmissions } from '../../../../scripts/gen-133-omissions.ts';
import OMISSIONS from '../../../../scripts/k8s-133-omissions.json' with { type: 'json' };
import { loadSchema } from '../schema.ts';

function root(text: string): protobuf.Root {
  const r = new protobuf.Root();
  protobuf.parse(text, r, { keepCase: true });
  return r;
}

const OLD = `syntax = "proto2"; package k8s.io.api.core.v1;
message PodSpec { optional string hostname = 16; }
message Gone { optional string a = 1; }`;
const NEW = `syntax = "proto2"; package k8s.io.api.core.v1;
message PodSpec { optional string hostname = 16; optional string hostnameOverride = 41; optional FileKeySelector sel = 42; }
message FileKeySelector { optional string key = 1; }`;
const NEW_PKG = `syntax = "proto2"; package k8s.io.api.lifecycle.v1alpha1; message Lease { optional string a = 1; }`;

test('computeOmissions: new packages, new messages of old packages, new fields of old messages', () => {
  const current = root(NEW);
  protobuf.parse(NEW_PKG, current, { keepCase: true });
  assert.deepEqual(computeOmissions(protoTypes(current), protoTypes(root(OLD)), { x: 'v0.33.0 abc' }), {
    from: { x: 'v0.33.0 abc' },
    packages: ['k8s.io.api.lifecycle.v1alpha1'],
    messages: ['k8s.io.api.core.v1.FileKeySelector'],
    fields: { 'k8s.io.api.core.v1.PodSpec': ['hostnameOverride', 'sel'] },
  });
});

test('omitAfter133 takes the entries out, and the result resolves', () => {
  const r = root(NEW);
  protobuf.parse(NEW_PKG, r, { keepCase: true });
  omitAfter133(r, { packages: ['k8s.io.api.lifecycle.v1alpha1'], messages: ['k8s.io.api.core.v1.FileKeySelector'], fields: { 'k8s.io.api.core.v1.PodSpec': ['hostnameOverride', 'sel'] } });
  r.resolveAll();
  assert.deepEqual(protoTypes(r).map((t) => `${t.name}:${t.fieldsArray.map((f) => f.name).join(',')}`), ['PodSpec:hostname']);
});

test('omitAfter133 fails on an entry that matches nothing, and when a kept field refers to a message taken out', () => {
  assert.throws(() => omitAfter133(root(NEW), { packages: [], messages: [], fields: { 'k8s.io.api.core.v1.PodSpec': ['nope'] } }), /PodSpec\.nope not found/);
  assert.throws(() => omitAfter133(root(NEW), { packages: [], messages: ['k8s.io.api.core.v1.Nope'], fields: {} }), /Nope not found/);
  const r = root(NEW);
  omitAfter133(r, { packages: [], messages: ['k8s.io.api.core.v1.FileKeySelector'], fields: {} });
  assert.throws(() => r.resolveAll(), /FileKeySelector/);
});

test('the generated schema is 1.33: no omitted package, message or field; the kept messages are there', () => {
  const schema = loadSchema();
  for (const [message, fields] of Object.entries(OMISSIONS.fields)) {
    const t = schema.type(message);
    assert.ok(t, message);
    for (const f of fields) assert.equal(Object.hasOwn(t.fields, f), false, `${message}.${f}`);
  }
  for (const m of OMISSIONS.messages) assert.equal(schema.type(m) !== undefined, KEPT_AFTER_133.has(m), m);
  for (const k of KEPT_AFTER_133) assert.ok(OMISSIONS.messages.includes(k), `${k} is an omission kept`);
  assert.equal(schema.typeNameForKind({ group: 'resource.k8s.io', version: 'v1', kind: 'ResourceClaim' }), undefined);
  assert.equal(schema.typeNameForKind({ group: 'storage.k8s.io', version: 'v1', kind: 'VolumeAttributesClass' }), undefined);
  assert.equal(schema.typeNameForKind({ group: 'resource.k8s.io', version: 'v1beta2', kind: 'ResourceClaim' }), 'k8s.io.api.resource.v1beta2.ResourceClaim');
  const spec = schema.type('k8s.io.api.core.v1.PodSpec')!;
  assert.ok(spec.fields.hostname && !spec.fields.hostnameOverride && !spec.fields.schedulingGroup);
  assert.ok(!schema.type('k8s.io.api.core.v1.PodStatus')!.fields.resources);
  assert.ok(schema.type('k8s.io.api.core.v1.ContainerStatus')!.fields.allocatedResources, 'the container-level field is 1.33');
});
