import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlwaysAdmit } from './always-admit.ts';
import { podAttrs } from '../webhook/test-support.ts';

for (const operation of ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const) {
  test(`AlwaysAdmit admits ${operation}`, async () => {
    const p = new AlwaysAdmit();
    const a = podAttrs({ operation });
    assert.equal(p.handles(a), true);
    assert.equal((await p.admit(a)).allowed, true);
    assert.equal((await p.validate(a)).allowed, true);
  });
}
