import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.ts';

test("the fast histogram's text is prom-client's Histogram's, observation for observation", async () => {
  const a = new Registry();
  const b = new Registry();
  const config = { name: 'x_seconds', help: 'X latency.', labelNames: ['verb', 'code'], buckets: [0.005, 0.1, 1] };
  const slow = new Histogram({ ...config, registers: [a] });
  const fast = new FastHistogram({ ...config, registers: [b] });
  for (const [verb, code, v] of [['GET', '200', 0.001], ['GET', '200', 0.1], ['GET', '200', 7], ['POST', '403', 0.05], ['POST', '403', 0.005]] as const) {
    slow.labels(verb, code).observe(v);
    fast.labels({ verb, code }).observe(v);
  }
  assert.equal(await b.metrics(), await a.metrics());
  assert.throws(() => fast.labels('GET'), /label "code" is missing/);
});

test("the fast counter's text is prom-client's Counter's", async () => {
  const a = new Registry();
  const b = new Registry();
  const config = { name: 'y_total', help: 'Y.', labelNames: ['result'] };
  const slow = new Counter({ ...config, registers: [a] });
  const fast = new FastCounter({ ...config, registers: [b] });
  for (const r of ['ok', 'ok', 'error']) {
    slow.labels(r).inc();
    fast.labels(r).inc();
  }
  slow.labels('ok').inc(5);
  fast.labels({ result: 'ok' }).inc(5);
  assert.equal(await b.metrics(), await a.metrics());
});
