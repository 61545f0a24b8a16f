import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { DEFAULT_ENABLED, knownPlugins } from '../registry.ts';
import { DenyServiceExternalIPs } from './deny-service-external-ips.ts';
import { podAttrs } from '../webhook/test-support.ts';

const svc = (externalIPs?: string[]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns' }, spec: { ports: [{ port: 80 }], ...(externalIPs ? { externalIPs } : {}) } });
const attrs = (operation: 'CREATE' | 'UPDATE', now?: string[], old?: string[], subresource = '') =>
  podAttrs({
    operation,
    object: svc(now),
    oldObject: operation === 'UPDATE' ? svc(old) : undefined,
    kind: { group: '', version: 'v1', kind: 'Service' },
    resource: { group: '', version: 'v1', resource: 'services' },
    subresource,
    name: 's',
  });
const chain = new AdmissionChain([], [new DenyServiceExternalIPs()]);

test('DenyServiceExternalIPs refuses new external IPs with upstream message; keeps, removes and other Services pass', async () => {
  await assert.rejects(chain.validate(attrs('CREATE', ['1.2.3.4']), emptyOutcome()), { code: 403, message: 'services "s" is forbidden: Use of external IPs is denied by admission control' });
  await assert.rejects(chain.validate(attrs('UPDATE', ['1.2.3.4', '5.6.7.8'], ['1.2.3.4']), emptyOutcome()), { code: 403 });
  await assert.rejects(chain.validate(attrs('UPDATE', ['1.2.3.4'], undefined), emptyOutcome()), { code: 403 });
  await chain.validate(attrs('CREATE'), emptyOutcome());
  await chain.validate(attrs('CREATE', []), emptyOutcome());
  await chain.validate(attrs('UPDATE', ['1.2.3.4'], ['5.6.7.8', '1.2.3.4']), emptyOutcome());
  await chain.validate(attrs('UPDATE', [], ['1.2.3.4']), emptyOutcome());
  await chain.validate(attrs('UPDATE', ['1.2.3.4'], [], 'status'), emptyOutcome());
});

test('DenyServiceExternalIPs is available, off by default, at its place in AllOrderedPlugins (after DefaultIngressClass, before the webhooks)', () => {
  const names = knownPlugins();
  const at = names.indexOf('DenyServiceExternalIPs');
  assert.ok(at > names.indexOf('CertificateSubjectRestriction') && at > names.indexOf('DefaultIngressClass'));
  assert.equal(names[at + 1], 'MutatingAdmissionPolicy');
  assert.equal(DEFAULT_ENABLED.has('DenyServiceExternalIPs'), false);
});
