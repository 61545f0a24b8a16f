/**
 * The API server dials a webhook's or an APIService's backend at an address of the Service's
 * Endpoints (or EndpointSlices). Validation reads legacy IP fields as upstream's ParseIPSloppy
 * does ("0177.0.0.1" is decimal 177.0.0.1, not a special address, so it is accepted), while
 * node's resolver, given the text as a host, reads it as octal: 127.0.0.1 ("0251.254.0251.254"
 * is 169.254.169.254). So the address must be dialled in its canonical form, never as written,
 * or whoever may write those Endpoints points the API server at its own loopback or the cloud
 * metadata address that ValidateEndpointIP refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { resolveEndpoint } from './endpoint.ts';
import { resolveTarget } from '../../admission/webhook/resolve-target.ts';
import { validateEndpoints } from '../../api/validation/core/endpoints.ts';

const SPOOFS: Array<[written: string, canonical: string, octal: string]> = [
  ['0177.0.0.1', '177.0.0.1', '127.0.0.1'],
  ['0251.254.0251.254', '251.254.251.254', '169.254.169.254'],
];

test('the premise: validation accepts the texts (glibc, under dns.lookup, reads them as octal: the third column)', () => {
  for (const [written] of SPOOFS) {
    const errs = validateEndpoints({ metadata: { name: 'e', namespace: 'ns' }, subsets: [{ addresses: [{ ip: written }], ports: [{ port: 443, protocol: 'TCP' }] }] });
    assert.deepEqual(errs, [], written);
  }
});

test('webhook and APIService backends are dialled at the canonical address', async () => {
  const store = openSqliteStore({ path: ':memory:' });
  try {
    for (const [i, [written, canonical]] of SPOOFS.entries()) {
      const name = `svc${i}`;
      await store.create(`/registry/core/services/ns/${name}`, { metadata: { name, namespace: 'ns' }, spec: { type: 'ClusterIP', ports: [{ port: 443 }] } });
      await store.create(`/registry/core/endpoints/ns/${name}`, { metadata: { name, namespace: 'ns' }, subsets: [{ addresses: [{ ip: written }], ports: [{ port: 8443 }] }] });
      const target = await resolveTarget(store, { service: { namespace: 'ns', name, port: 443 } });
      assert.equal(target.connectHost, canonical);
      assert.equal((await resolveEndpoint(store, { namespace: 'ns', name, port: 443 }, () => 0)).host, canonical);
    }
    // From EndpointSlices (no Endpoints object), IPv4-mapped IPv6 as its IPv4 address.
    await store.create('/registry/core/services/ns/sliced', { metadata: { name: 'sliced', namespace: 'ns' }, spec: { type: 'ClusterIP', ports: [{ port: 443 }] } });
    await store.create('/registry/discovery.k8s.io/endpointslices/ns/sliced-1', { metadata: { name: 'sliced-1', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'sliced' } }, addressType: 'IPv4', ports: [{ port: 8443 }], endpoints: [{ addresses: ['0177.0.0.1'] }] });
    assert.equal((await resolveEndpoint(store, { namespace: 'ns', name: 'sliced', port: 443 }, () => 0)).host, '177.0.0.1');
  } finally {
    store.close();
  }
});
