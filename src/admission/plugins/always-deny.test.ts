import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { AlwaysDeny } from './always-deny.ts';
import { podAttrs } from '../webhook/test-support.ts';

for (const operation of ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const) {
  test(`AlwaysDeny refuses ${operation} with upstream's message`, async () => {
    const chain = new AdmissionChain([new AlwaysDeny()], [new AlwaysDeny()]);
    await assert.rejects(chain.admit(podAttrs({ operation }), emptyOutcome()), { code: 403, message: 'pods "p" is forbidden: admission control is denying all modifications' });
    await assert.rejects(chain.validate(podAttrs({ operation }), emptyOutcome()), { code: 403 });
  });
}
