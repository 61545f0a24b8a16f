import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane } from '../control-plane.ts';
import { parseRequestInfo } from '../request-info.ts';
import { emptyOutcome } from '../../admission/chain.ts';
import { dispatch } from './dispatch.ts';
import { apiObjectJson } from './serialize.ts';
import type { RestContext, RestRequest } from './context.ts';
import type { K8sObject } from './objects.ts';
import { objectKey } from '../../api/registry/resource-def.ts';

function post(ctx: RestContext, path: string, body: unknown): RestRequest {
  const info = parseRequestInfo('POST', path, new URLSearchParams());
  return {
    info,
    def: ctx.registry.get(info.apiGroup, info.apiVersion, info.resource)!,
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/json', 'user-agent': 'test/1.0' },
    body: Buffer.from(JSON.stringify(body)),
    warnings: [],
    admission: emptyOutcome(),
  };
}

test("a create's answer carries its JSON, kept with the stored value for the watch events of that revision", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-create-answer-'));
  const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), controllers: [], scheduler: false, leaderElect: false });
  try {
    const ctx = cp.server.ctx;
    const req = post(ctx, '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
    const res = await dispatch(ctx, req);
    assert.equal(res.code, 201);
    // The same bytes as the answer's object encoded.
    assert.equal(res.raw, JSON.stringify(res.body));
    assert.equal((res.body as K8sObject).metadata.name, 'c');
    // A watcher's event of this revision (serialize.ts apiObjectJson of the stored value) encodes nothing again.
    const stored = await ctx.store.get<K8sObject>(objectKey(req.def, 'default', 'c'));
    assert.ok(stored);
    const stringify = JSON.stringify;
    let encodes = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      encodes++;
      return stringify(...args);
    }) as typeof JSON.stringify;
    let again: string;
    try {
      again = apiObjectJson(req.def, stored);
    } finally {
      JSON.stringify = stringify;
    }
    assert.equal(encodes, 0);
    assert.equal(again, res.raw);
  } finally {
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('an Event created as events.k8s.io/v1 is converted from its stored core/v1 form once for the answer and its JSON', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-create-answer-'));
  const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), controllers: [], scheduler: false, leaderElect: false });
  try {
    const ctx = cp.server.ctx;
    const event = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'default-scheduler',
      reportingInstance: 'default-scheduler-x',
      action: 'Binding',
      reason: 'Scheduled',
      type: 'Normal',
      regarding: { kind: 'Pod', namespace: 'default', name: 'p' },
      note: 'Successfully assigned default/p to n',
    };
    const req = post(ctx, '/apis/events.k8s.io/v1/namespaces/default/events', event);
    const convert = req.def.convert!;
    let conversions = 0;
    req.def = { ...req.def, convert: { ...convert, fromStored: (o) => (conversions++, convert.fromStored(o)) } };
    const res = await dispatch(ctx, req);
    assert.equal(res.code, 201);
    assert.equal(conversions, 1);
    assert.equal(res.raw, JSON.stringify(res.body));
    assert.equal((res.body as K8sObject).apiVersion, 'events.k8s.io/v1');
    assert.equal((res.body as K8sObject).note, event.note);
  } finally {
    await cp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
