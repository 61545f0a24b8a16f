import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { FakeApiClient } from './fake.ts';
import { rateLimitedClient } from './rate-limited-client.ts';
import { resources } from './resources.ts';
import type { Timers } from './timers.ts';

/** Timers driven by the test: advance() moves the clock and runs what fell due. */
function manualTimers() {
  let t = 0;
  const due: Array<{ at: number; fn: () => void }> = [];
  const timers: Timers = {
    setTimeout(fn, ms) {
      const e = { at: t + ms, fn };
      due.push(e);
      return e;
    },
    clearTimeout(h) {
      const i = due.indexOf(h as { at: number; fn: () => void });
      if (i >= 0) due.splice(i, 1);
    },
  };
  return {
    timers,
    now: () => t,
    async advance(ms: number) {
      t += ms;
      for (const e of due.filter((x) => x.at <= t)) {
        due.splice(due.indexOf(e), 1);
        e.fn();
      }
      await turn();
      await turn();
    },
  };
}

test('rate-limited client: burst requests at once, then qps a second', async () => {
  const clock = manualTimers();
  const inner = new FakeApiClient();
  const client = rateLimitedClient(inner, { qps: 2, burst: 3 }, clock.now, clock.timers);
  const gets = Array.from({ length: 6 }, (_, i) => client.get(resources.pods, 'default', `p${i}`).catch(() => undefined));
  await turn();
  await turn();
  const sent = () => inner.actions.filter((a) => a.verb === 'get').length;
  assert.equal(sent(), 3, 'the burst goes at once');
  await clock.advance(499);
  assert.equal(sent(), 3);
  await clock.advance(1);
  assert.equal(sent(), 4, 'one more after 1/qps');
  await clock.advance(1000);
  assert.equal(sent(), 6);
  await Promise.all(gets);
  assert.equal(client.config, inner.config);
});

test('rate-limited client: opening a watch takes a token; closed before it opens, it ends with onClose and never opens', async () => {
  const clock = manualTimers();
  const inner = new FakeApiClient();
  const client = rateLimitedClient(inner, { qps: 1, burst: 1 }, clock.now, clock.timers);
  const watches = () => inner.actions.filter((a) => a.verb === 'watch').length;
  let closes = 0;
  const first = client.watch(resources.pods, 'default', { resourceVersion: '0' }, () => {}, () => closes++);
  assert.equal(watches(), 1, 'the burst opens it at once');
  const second = client.watch(resources.pods, 'default', { resourceVersion: '0' }, () => {}, () => closes++);
  assert.equal(watches(), 1);
  await clock.advance(1000);
  assert.equal(watches(), 2, 'opened after 1/qps');
  const third = client.watch(resources.pods, 'default', { resourceVersion: '0' }, () => {}, () => closes++);
  third.close();
  third.close();
  await clock.advance(5000);
  assert.equal(watches(), 2, 'a watch closed while waiting never opens');
  assert.equal(closes, 1, 'and ends once with onClose');
  first.close();
  second.close();
});
