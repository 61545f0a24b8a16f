import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from './config.ts';
import type { ApiClient } from '../client/types.ts';

test('by default a simulated node beats as the kubelet does: Lease every 10 s (40 s duration), an unchanged status every 5 minutes', () => {
  const cfg = buildConfig({ client: {} as ApiClient, count: 1 });
  assert.equal(cfg.leaseRenewMs, 10_000);
  assert.equal(cfg.leaseDurationSeconds, 40);
  // kubelet's nodeStatusReportFrequency: a status with nothing changed is posted every 5 minutes.
  assert.equal(cfg.statusUpdateMs, 300_000);
  assert.equal(buildConfig({ client: {} as ApiClient, count: 1, statusUpdateMs: 50 }).statusUpdateMs, 50);
});
