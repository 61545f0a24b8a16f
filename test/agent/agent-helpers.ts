/**
 * A control plane with bootstrap-token authentication and the CSR approving and signing
 * controllers, a join token made as `portcullis up` makes it, and agents started against it with
 * the fake runtime. Shared by the agent tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import type { ClientConfig } from '../../src/cluster/client/types.ts';
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
  const c = await startTestCluster({ authn: { enableBootstrapTokenAuth: true }, controllers: ['certificatesigningrequest-approving-controller', 'certificatesigningrequest-signing-controller', ...extraControllers], scheduler: opts.scheduler });
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
