import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { hostsEntriesFromHostAliases, managedHostsFileContent, nodeHostsFileContent, nodenameForKernel, podHostnameAndDomain } from './etc-hosts.ts';

/** The kubelet's header, localhost and IPv6 lines, word for word. */
const HEAD = [
  '# Kubernetes-managed hosts file.',
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'fe00::0\tip6-mcastprefix',
  'fe00::1\tip6-allnodes',
  'fe00::2\tip6-allrouters',
];
const ALIASES = [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }];

test('the managed /etc/hosts is the kubelet\'s text: header, localhost and IPv6 names, each pod IP with hostname (and FQDN), the aliases', () => {
  // The kubelet's TestManagedHostsFileContent cases.
  assert.equal(managedHostsFileContent(['123.45.67.89'], 'podFoo', '', []), [
    ...HEAD,
    '123.45.67.89\tpodFoo',
    '',
  ].join('\n'));
  assert.equal(managedHostsFileContent(['203.0.113.1', 'fd00::6'], 'podFoo', 'domainFoo', ALIASES), [
    ...HEAD,
    '203.0.113.1\tpodFoo.domainFoo\tpodFoo',
    'fd00::6\tpodFoo.domainFoo\tpodFoo',
    '',
    '# Entries added by HostAliases.',
    '127.0.0.1\tfoo.local\tbar.local',
    '10.1.2.3\tfoo.remote\tbar.remote',
    '',
  ].join('\n'));
  assert.equal(hostsEntriesFromHostAliases(undefined), '');
});

test('a host-network pod gets the node\'s /etc/hosts under its own header, then the aliases', () => {
  const node = '127.0.0.1\tlocalhost\n10.0.0.5\tnode-a\n';
  assert.equal(nodeHostsFileContent(node), '# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n10.0.0.5\tnode-a\n');
  assert.equal(nodeHostsFileContent(node, [ALIASES[1]!]), '# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n10.0.0.5\tnode-a\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n');
});

test('hostname and domain: spec.hostname or the name cut to 63, the domain only with a subdomain; the FQDN as nodename only with setHostnameAsFQDN and up to 64 characters', () => {
  const pod = (spec: Record<string, unknown>, name = 'web-0'): Pod => ({ metadata: { name, namespace: 'prod' }, spec: { containers: [], ...spec } });
  assert.deepEqual(podHostnameAndDomain(pod({})), { hostname: 'web-0', domain: '' });
  assert.deepEqual(podHostnameAndDomain(pod({ hostname: 'db', subdomain: 'svc1' })), { hostname: 'db', domain: 'svc1.prod.svc.cluster.local' });
  assert.deepEqual(podHostnameAndDomain(pod({ subdomain: 's' }), 'example.org'), { hostname: 'web-0', domain: 's.prod.svc.example.org' });
  assert.equal(podHostnameAndDomain(pod({}, `${'a'.repeat(62)}-b`)).hostname, 'a'.repeat(62));

  assert.equal(nodenameForKernel('db', 'svc1.prod.svc.cluster.local', undefined), 'db');
  assert.equal(nodenameForKernel('db', 'svc1.prod.svc.cluster.local', true), 'db.svc1.prod.svc.cluster.local');
  assert.equal(nodenameForKernel('db', '', true), 'db');
  const host = 'h'.repeat(35);
  assert.equal(nodenameForKernel(host.slice(0, 36 - 1), 'svc1.prod.svc.cluster.local', true).length, 63);
  assert.equal(nodenameForKernel(`${host}x`, 'svc1.prod.svc.cluster.local', true).length, 64);
  assert.throws(() => nodenameForKernel(`${host}xy`, 'svc1.prod.svc.cluster.local', true), {
    message: `failed to construct FQDN from pod hostname and cluster domain, FQDN ${host}xy.svc1.prod.svc.cluster.local is too long (64 characters is the max, 65 characters requested)`,
  });
});
