import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../errors.ts';
import { applyPatch, PatchBody } from './index.ts';
import { POD, fixtureSchema } from './test-fixture-schema.ts';

const original = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'web', image: 'x' }] } };
const builtIn = { schema: fixtureSchema, typeName: POD };

describe('applyPatch dispatch', () => {
  const table: { contentType: string; body: string; want: object }[] = [
    {
      contentType: 'application/json-patch+json',
      body: '[{"op":"replace","path":"/metadata/labels/a","value":"2"}]',
      want: { ...original, metadata: { name: 'p', labels: { a: '2' } } },
    },
    {
      contentType: 'application/merge-patch+json; charset=utf-8',
      body: '{"spec":{"containers":[{"name":"side"}]}}',
      want: { ...original, spec: { containers: [{ name: 'side' }] } }, // merge patch replaces lists
    },
    {
      contentType: 'application/strategic-merge-patch+json',
      body: '{"spec":{"containers":[{"name":"side"}]}}',
      want: { ...original, spec: { containers: [{ name: 'side' }, { name: 'web', image: 'x' }] } }, // SMP merges by name
    },
    { contentType: 'application/strategic-merge-patch+json', body: 'null', want: original },
  ];
  for (const c of table) {
    test(`${c.contentType} ${c.body}`, () => {
      assert.deepEqual(applyPatch(c.contentType, original, Buffer.from(c.body), builtIn), c.want);
    });
  }
});

function expectError(fn: () => unknown, code: number, reason: string, message: string): void {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.code, err.reason, err.message], [code, reason, message]);
    return true;
  });
}

describe('applyPatch errors', () => {
  test('strategic merge patch without a typeName (custom resources) → 415', () => {
    expectError(
      () => applyPatch('application/strategic-merge-patch+json', original, '{}', { schema: fixtureSchema }),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  test('an unknown media type → 415 listing what built-ins accept', () => {
    expectError(
      () => applyPatch('application/json', original, '{}', builtIn),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
    );
  });

  test('apply patches are not handled here (a routing bug, 500)', () => {
    assert.throws(() => applyPatch('application/apply-patch+yaml', original, 'a: b', builtIn), (err) => err instanceof ApiError && err.code === 500);
  });

  const malformed: { contentType: string; body: string; message: string }[] = [
    { contentType: 'application/merge-patch+json', body: '{"a":', message: 'Invalid JSON Patch' },
    { contentType: 'application/merge-patch+json', body: '', message: 'Invalid JSON Patch' },
    { contentType: 'application/json-patch+json', body: '', message: 'unexpected end of JSON input' },
    { contentType: 'application/strategic-merge-patch+json', body: '[1]', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' },
    { contentType: 'application/strategic-merge-patch+json', body: '"x"', message: 'json: cannot unmarshal string into Go value of type map[string]interface {}' },
  ];
  for (const c of malformed) {
    test(`${c.contentType} with body ${JSON.stringify(c.body)} → 400`, () => {
      expectError(() => applyPatch(c.contentType, original, c.body, builtIn), 400, 'BadRequest', c.message);
    });
  }

  for (const contentType of ['application/json-patch+json', 'application/strategic-merge-patch+json']) {
    test(`${contentType}: syntax errors → 400 that says the JSON is invalid`, () => {
      assert.throws(
        () => applyPatch(contentType, original, '{"spec": nope}', builtIn),
        (err) => err instanceof ApiError && err.code === 400 && err.message.startsWith('invalid JSON: '),
      );
    });
  }

  for (const contentType of ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']) {
    test(`${contentType}: a body nested deeper than 100 levels → 400, at any depth beyond`, () => {
      for (const depth of [101, 100_000]) {
        const body = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        expectError(
          () => applyPatch(contentType, original, body, builtIn),
          400,
          'BadRequest',
          'the patch is nested too deeply: more than 100 levels of arrays and objects',
        );
      }
    });
  }

  test('100 levels of nesting are accepted', () => {
    const body = '{"a":'.repeat(99) + '{}' + '}'.repeat(99);
    const out = applyPatch('application/merge-patch+json', original, body, builtIn) as Record<string, unknown>;
    assert.ok('a' in out);
  });
});

describe('applyPatch with a PatchBody (parsed once across attempts)', () => {
  test('every media type gives what the raw body gives, and a second attempt reuses the parse without sharing values', () => {
    for (const [contentType, body] of [
      ['application/json-patch+json', '[{"op":"add","path":"/spec/extra","value":{"k":["v"]}}]'],
      ['application/merge-patch+json', '{"spec":{"extra":{"k":["v"]}}}'],
      ['application/strategic-merge-patch+json', '{"spec":{"containers":[{"name":"side"}]}}'],
    ]) {
      const patch = new PatchBody(Buffer.from(body));
      const first = applyPatch(contentType, original, patch, builtIn);
      const parse = patch.parsed;
      assert.deepEqual(first, applyPatch(contentType, original, Buffer.from(body), builtIn), contentType);
      // What a later step does to the first attempt's result must not reach the retry through the parse.
      (first as { spec: Record<string, unknown> }).spec.mutated = true;
      const extra = (first as { spec: { extra?: { k: string[] } } }).spec.extra;
      extra?.k.push('changed');
      const second = applyPatch(contentType, original, patch, builtIn);
      assert.equal(patch.parsed, parse, 'the body is parsed once');
      assert.deepEqual(second, applyPatch(contentType, original, body, builtIn), `${contentType} retry`);
    }
  });

  test('the media type is judged before the body: 415, not 400, for a malformed body of an unaccepted type', () => {
    expectError(
      () => applyPatch('application/strategic-merge-patch+json', original, new PatchBody('{oops'), { schema: fixtureSchema }),
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  });

  test('a body nested too deeply is refused on every attempt', () => {
    const patch = new PatchBody(`{"a":${'['.repeat(200)}${']'.repeat(200)}}`);
    for (let i = 0; i < 2; i++) assert.throws(() => applyPatch('application/merge-patch+json', original, patch, builtIn), (err) => err instanceof ApiError && err.code === 400);
  });
});
