/**
 * A control plane with bootstrap-token authentication and the CSR approving and signing
 * controllers, a join token made as `portcullis up` makes it, and agents started against it with
 * the fake runtime. Shared by the agent tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import type { ClientConfig, K8sObject } from '../../src/cluster/client/types.ts';
import { resources } from '../../src/cluster/client/resources.ts';
import { renderKubeconfig } from '../../src/pki/kubeconfig.ts';
import { startAgent, type Agent, type AgentOptions } from '../../src/cluster/agent/agent.ts';
import { createJoinToken } from '../../src/cluster/agent/join-token.ts';
import { FakeImageService, FakeRuntime, type FakeRuntimeOptions } from '../../src/cluster/agent/runtime/fake.ts';
import type { HostInfo } from '../../src/cluster/agent/host-info.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { ApiStatusError } from '../../src/cluster/client/errors.ts';

export const HOST: HostInfo = {
  hostname: 'test-host',
  internalIP: '127.0.0.1',
  capacity: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' },
  allocatable: { cpu: '4', memory: '8092Mi', pods: '110', 'ephemeral-storage': '90Gi' },
  nodeInfo: { kubeletVersion: 'v1.33.0+portcullis', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'fake://0' },
};

export const quietLog = { info() {}, warn() {}, error() {} };

export interface AgentCluster {
  c: TestCluster;
  admin: RestClient;
  token: string;
  bootstrap: ClientConfig;
  dir: string;
  start(nodeName: string, opts?: Partial<AgentOptions> & { fake?: FakeRuntimeOptions; dataDir?: string }): Promise<{ agent: Agent; runtime: FakeRuntime }>;
  close(): Promise<void>;
}

export async function startAgentCluster(extraControllers: string[] = [], opts: { scheduler?: boolean } = {}): Promise<AgentCluster> {
  // With the scheduler, the node lifecycle controller too: it lifts the not-ready:NoSchedule taint
  // TaintNodesByCondition gives every new Node once the Node reports Ready, as in a real cluster.
  const lifecycle = opts.scheduler ? ['node-lifecycle-controller'] : [];
  const c = await startTestCluster({ authn: { enableBootstrapTokenAuth: true }, controllers: ['certificatesigningrequest-approving-controller', 'certificatesigningrequest-signing-controller', ...lifecycle, ...extraControllers], scheduler: opts.scheduler });
  const admin = new RestClient({ server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem }, userAgent: 'agent-test' });
  const token = await createJoinToken(admin, { now: Date.now });
  const bootstrap: ClientConfig = { server: c.cp.url, identity: { caPem: c.cp.pki.caCertPem, token }, userAgent: 'agent-test-bootstrap' };
  const dir = mkdtempSync(join(tmpdir(), 'agent-test-'));
  const agents: Agent[] = [];
  return {
    c, admin, token, bootstrap, dir,
    async start(nodeName, opts = {}) {
      const runtime = new FakeRuntime(opts.fake);
      const agent = await startAgent({
        nodeName, dataDir: opts.dataDir ?? join(dir, nodeName), bootstrap, runtime, images: new FakeImageService(), runtimeScheme: 'fake', runtimeVersion: 'fake://0',
        host: HOST, log: quietLog, csrPollMs: 100, relistMs: 100, leaseRenewMs: 500, statusUpdateMs: 200, ...opts,
      });
      agents.push(agent);
      return { agent, runtime };
    },
    async close() {
      for (const a of agents) await a.stop();
      admin.close();
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns something truthy (bounded by attempts, not by a timing assertion). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, attempts = 300, everyMs = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`never happened: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** 'allowed', or the API's refusal as "<code> <message>". */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'allowed';
  } catch (err) {
    if (err instanceof ApiStatusError) return `${err.code} ${err.message}`;
    throw err;
  }
}

/** Approves the agent's kubelet-serving CSR by hand (no controller approves that signer) and waits until `endpoint` listens. */
export async function approveServing(ac: AgentCluster, endpoint: { readonly port: number | undefined }): Promise<void> {
  const csr = await eventually(async () => (await ac.admin.list<K8sObject>(resources.certificatesigningrequests, '')).items.find((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving'), 'a serving CSR');
  await ac.admin.update(resources.certificatesigningrequests, '', { ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved by the test' }] } }, 'approval');
  // The signer (controller manager), the agent's CSR watch and its TLS listener all take turns on a
  // loaded machine: allow 60 s (an interim CI at load 12 once needed more than the default 15 s).
  await eventually(async () => endpoint.port, 'the endpoint serves', 1200);
}

/** A kubeconfig file for the cluster's admin, for kubectl. */
export function adminKubeconfig(ac: AgentCluster): string {
  const path = join(ac.dir, 'admin.kubeconfig');
  writeFileSync(path, renderKubeconfig({ server: ac.c.cp.url, caCertPem: ac.c.cp.pki.caCertPem, clientCertPem: ac.c.cp.pki.adminCertPem, clientKeyPem: ac.c.cp.pki.adminKeyPem, userName: 'admin' }));
  return path;
}
