/** The token cleaner on the fake client, real informers and queue, and a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { K8sObject } from '../client/types.ts';
import type { FakeApiClient } from '../client/fake.ts';
import { resources } from '../client/resources.ts';
import { startHarness, type Harness } from './job/test-harness.ts';
import { newTokenCleaner } from './token-cleaner.ts';

const SECRETS = resources.secrets;
const b64 = (s: string) => Buffer.from(s).toString('base64');

function token(name: string, expiration: string | undefined, opts: { namespace?: string; type?: string } = {}): K8sObject {
  return {
    metadata: { name, namespace: opts.namespace ?? 'kube-system' },
    type: opts.type ?? 'bootstrap.kubernetes.io/token',
    data: { 'token-id': b64('abcdef'), 'token-secret': b64('0123456789abcdef'), ...(expiration === undefined ? {} : { expiration: b64(expiration) }) },
  } as K8sObject;
}

const deletes = (h: Harness) => h.client.writes().filter((a) => a.verb === 'delete');
const names = (h: Harness, ns = 'kube-system') => h.client.stored<K8sObject>(SECRETS, ns).map((s) => s.metadata.name).sort();

// The harness clock starts at 2026-01-01T10:00:00Z.
test('expired bootstrap token Secrets are deleted with UID and resourceVersion preconditions; others are kept', async () => {
  const h = await startHarness(newTokenCleaner);
  try {
    const expired = h.client.seed(SECRETS, token('bootstrap-token-old', '2026-01-01T09:59:59Z'));
    h.client.seed(SECRETS, token('bootstrap-token-bad', 'tomorrow'));
    h.client.seed(SECRETS, token('bootstrap-token-never', undefined));
    h.client.seed(SECRETS, token('bootstrap-token-later', '2026-01-01T10:30:00Z'));
    h.client.seed(SECRETS, token('opaque-old', '2020-01-01T00:00:00Z', { type: 'Opaque' }));
    h.client.seed(SECRETS, token('bootstrap-token-elsewhere', '2020-01-01T00:00:00Z', { namespace: 'default' }));
    await h.idle();
    assert.deepEqual(names(h), ['bootstrap-token-later', 'bootstrap-token-never', 'opaque-old']);
    assert.deepEqual(names(h, 'default'), ['bootstrap-token-elsewhere'], 'only kube-system holds bootstrap tokens');
    const d = deletes(h).find((w) => w.name === 'bootstrap-token-old')!;
    assert.deepEqual((d.object as { preconditions: unknown }).preconditions, { uid: expired.metadata.uid, resourceVersion: expired.metadata.resourceVersion });
  } finally {
    await h.stop();
  }
});

test('a token is deleted when it expires (re-queued for that moment), not before', async () => {
  const h = await startHarness(newTokenCleaner);
  try {
    h.client.seed(SECRETS, token('bootstrap-token-soon', '2026-01-01T11:00:00+00:30'));
    await h.idle();
    await h.advance(29 * 60_000);
    assert.deepEqual(names(h), ['bootstrap-token-soon']);
    await h.advance(60_000);
    assert.deepEqual(names(h), []);
  } finally {
    await h.stop();
  }
});

test('an expiration extended before it passed is honoured', async () => {
  const h = await startHarness(newTokenCleaner);
  try {
    const s = h.client.seed(SECRETS, token('bootstrap-token-x', '2026-01-01T10:00:10Z')) as K8sObject & { data: Record<string, string> };
    await h.idle();
    await h.client.update(SECRETS, 'kube-system', { ...s, data: { ...s.data, expiration: b64('2026-01-01T12:00:00Z') } });
    await h.advance(60_000);
    assert.deepEqual(names(h), ['bootstrap-token-x']);
    await h.advance(2 * 3600_000);
    assert.deepEqual(names(h), []);
  } finally {
    await h.stop();
  }
});

test('a delete refused by its precondition (the Secret changed meanwhile) is no error and not retried blindly', async () => {
  const h = await startHarness((d) => newTokenCleaner({ ...d, client: new Proxy(d.client as FakeApiClient, {
    get(target, p, r) {
      if (p !== 'delete') return Reflect.get(target, p, r);
      // The first delete races with a writer that renews the token.
      return async (...args: Parameters<typeof target.delete>) => {
        const cur = target.stored<K8sObject & { data: Record<string, string> }>(SECRETS, 'kube-system')[0]!;
        if (cur.data.expiration === b64('2026-01-01T09:00:00Z')) await target.update(SECRETS, 'kube-system', { ...cur, data: { ...cur.data, expiration: b64('2026-01-01T13:00:00Z') } });
        return target.delete(...args);
      };
    },
  }) }));
  try {
    h.client.seed(SECRETS, token('bootstrap-token-renewed', '2026-01-01T09:00:00Z'));
    await h.idle();
    assert.deepEqual(names(h), ['bootstrap-token-renewed'], 'the renewed token survives the stale delete');
    await h.advance(3 * 3600_000);
    assert.deepEqual(names(h), [], 'and goes when its new expiration passes');
  } finally {
    await h.stop();
  }
});
