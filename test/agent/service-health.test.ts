/**
 * healthCheckNodePort on the wire (root): in a node network namespace the test makes, with the
 * node's service table loaded, the health server answers a host outside the node on the node's
 * address as kube-proxy does: 200 and the local endpoint count for a Service with a ready endpoint
 * on this node, 503 for one without.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { renderServices, serviceRules } from '../../src/cluster/agent/network/services.ts';
import type { K8sObject } from '../../src/cluster/client/types.ts';
import { RoutedNode, type TestHost } from '../helpers/netns.ts';
import { requireBinaries, requireRoot } from '../helpers/real-parts.ts';

const svc = (name: string, nodePort: number, healthCheckNodePort: number): K8sObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'web' },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort, clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort }] },
});
const slice = (service: string, endpoints: Array<{ ip: string; node: string }>): K8sObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-x`, namespace: 'web', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: true }, nodeName: e.node })),
} as K8sObject);

const services = [svc('here', 30080, 32100), svc('elsewhere', 30081, 32101)];
const slices = [slice('here', [{ ip: '10.244.0.11', node: 'n1' }]), slice('elsewhere', [{ ip: '10.244.9.9', node: 'n2' }])];

const skip = requireRoot('the service health server') || requireBinaries('nftables', 'nft') || requireBinaries('iproute2', 'ip');
let node: RoutedNode;
let ext: TestHost;
let server: ChildProcess | undefined;
before(async () => {
  if (skip) return;
  node = new RoutedNode();
  node.addHost('b1', '10.244.0.11');
  ext = node.addHost('ext', '192.0.2.10');
  node.loadNftables(renderServices(serviceRules(services, slices, 'n1')));
  // The agent runs in its node's network namespace; so does this health server.
  const module = fileURLToPath(new URL('../../src/cluster/agent/network/service-health.ts', import.meta.url));
  const code = `import { ServiceHealthServer, healthChecks } from ${JSON.stringify(module)};
const [services, slices] = JSON.parse(process.argv[1]);
const h = new ServiceHealthServer({ proxyHealthy: () => true });
await h.sync(healthChecks(services, slices, 'n1'));
console.log('ready ' + h.ports().join(','));`;
  server = spawn('ip', ['netns', 'exec', node.node, process.execPath, '--import', 'tsx', '--input-type=module', '-e', code, JSON.stringify([services, slices])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    server!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    server!.once('exit', (c) => reject(new Error(`health server exited ${c}`)));
  });
  assert.equal(line, 'ready 32100,32101');
});
after(() => {
  server?.kill('SIGKILL');
  node?.destroy();
});

/** An HTTP GET from the outside host's namespace. */
function getFrom(host: TestHost, url: string): { status: number; type: string | null; nosniff: string | null; body: string } {
  const code = `const r = await fetch(${JSON.stringify(url)}); console.log(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), nosniff: r.headers.get('x-content-type-options'), body: await r.text() }));`;
  return JSON.parse(execFileSync('ip', ['netns', 'exec', host.netns, process.execPath, '--input-type=module', '-e', code], { encoding: 'utf8' }));
}

test('a load balancer asking the node\'s healthCheckNodePort gets 200 where the Service has a local endpoint, 503 where it has none', { skip }, () => {
  const here = getFrom(ext, 'http://169.254.1.1:32100/');
  assert.deepEqual({ ...here, body: JSON.parse(here.body) }, { status: 200, type: 'application/json', nosniff: 'nosniff', body: { service: { namespace: 'web', name: 'here' }, localEndpoints: 1, serviceProxyHealthy: true } });
  const elsewhere = getFrom(ext, 'http://169.254.1.1:32101/');
  assert.equal(elsewhere.status, 503);
  assert.deepEqual(JSON.parse(elsewhere.body), { service: { namespace: 'web', name: 'elsewhere' }, localEndpoints: 0, serviceProxyHealthy: true });
});
