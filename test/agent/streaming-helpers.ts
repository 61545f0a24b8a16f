/**
 * A control plane, a Node whose agent endpoint is a streaming server started by the test (the
 * fake runtime behind it, with real CRI log files and a few exec programs), and a pod bound to it.
 * The node's identity (system:node:<name>) asks the SubjectAccessReviews; its serving certificate
 * comes from the cluster CA as a kubelet-serving one does.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { issueCert } from '../../src/pki/certs.ts';
import { renderKubeconfig } from '../../src/pki/kubeconfig.ts';
import { RestClient } from '../../src/cluster/client/rest-client.ts';
import { FakeRuntime } from '../../src/cluster/agent/runtime/fake.ts';
import type { ContainerConfig, ContainerStatus, ExecOptions, ExecResult } from '../../src/cluster/agent/runtime/types.ts';
import { startAgentServer, type AgentServer } from '../../src/cluster/agent/server/agent-server.ts';
import { subjectAccessReviewer } from '../../src/cluster/agent/server/review-access.ts';
import type { ControlPlaneOptions } from '../../src/server/control-plane.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

export const NODE = 'stream-node';

/** The fake runtime with log files on disk and exec programs: id -u, cat, sh -c "exit N". */
export class StreamingRuntime extends FakeRuntime {
  readonly logDir: string;
  constructor(logDir: string) {
    super();
    this.logDir = logDir;
  }

  logFile(c: { pod: { uid: string }; name: string; attempt: number }): string {
    return join(this.logDir, c.pod.uid, c.name, `${c.attempt}.log`);
  }

  #withLog(c: ContainerStatus): ContainerStatus {
    return { ...c, logPath: this.logFile(c) };
  }

  override async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const c = await super.containerStatus(id);
    return c && this.#withLog(c);
  }

  override async list() {
    const l = await super.list();
    return { sandboxes: l.sandboxes, containers: l.containers.map((c) => this.#withLog(c)) };
  }

  override async exec(id: string, o: ExecOptions): Promise<ExecResult> {
    const c = await super.containerStatus(id);
    if (c?.state !== 'running') throw new Error(`container ${id} is not running`);
    const [cmd, ...args] = o.argv;
    if (cmd === 'id' && args[0] === '-u') {
      o.stdout?.end('1000\n');
      return { exitCode: 0 };
    }
    if (cmd === 'cat' && o.stdin) {
      o.stdin.pipe(o.stdout!);
      await new Promise((r) => o.stdin!.on('end', r));
      return { exitCode: 0 };
    }
    const m = cmd === 'sh' && args[0] === '-c' ? /^exit (\d+)$/.exec(args[1] ?? '') : null;
    if (m) {
      o.stderr?.end('bye\n');
      return { exitCode: Number(m[1]) };
    }
    throw new Error(`executable file not found in $PATH: ${cmd}`);
  }
}

export function criLine(time: string, stream: 'stdout' | 'stderr', text: string): string {
  return `${time} ${stream} F ${text}\n`;
}

export interface StreamingCluster {
  c: TestCluster;
  runtime: StreamingRuntime;
  server: AgentServer;
  /** Echo servers reached by port-forward (the dialer connects here instead of into a netns). */
  dialed: number[];
  kubeconfig(user: string, groups?: string[]): string;
  /** Starts a container of pod default/<pod> (sandbox made on first use); returns it with its log file. */
  startContainer(pod: { name: string; uid: string }, name: string, attempt: number, lines: string[]): Promise<ContainerStatus & { log: string }>;
  append(file: string, line: string): void;
  close(): Promise<void>;
}

export async function startStreamingCluster(opts: { admission?: ControlPlaneOptions['admission'] } = {}): Promise<StreamingCluster> {
  const c = await startTestCluster({ authorizationModes: ['Node', 'RBAC'], admission: opts.admission });
  const ca = { certPem: c.cp.pki.caCertPem, keyPem: c.cp.pki.caKeyPem };
  const dir = mkdtempSync(join(tmpdir(), 'streaming-'));
  const runtime = new StreamingRuntime(join(dir, 'logs'));
  const nodeId = issueCert(ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'], usage: 'client', now: new Date(), validityDays: 1 });
  const nodeClient = new RestClient({ server: c.cp.url, identity: { caPem: ca.certPem, certPem: nodeId.certPem, keyPem: nodeId.keyPem }, userAgent: 'streaming-test-node' });
  const serving = issueCert(ca, { commonName: `system:node:${NODE}`, organizations: ['system:nodes'], usage: 'server', ipAddresses: ['127.0.0.1'], now: new Date(), validityDays: 1 });
  const dialed: number[] = [];
  const dial = (_s: unknown, port: number): Promise<Duplex> =>
    new Promise((resolve, reject) => {
      dialed.push(port);
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  const quiet = { warn() {} };
  const server = await startAgentServer({ nodeName: NODE, runtime, cert: serving, clientCaPem: ca.certPem, review: subjectAccessReviewer(() => nodeClient), dial, log: quiet }, 0, '127.0.0.1');
  // The Node as its agent would register it: InternalIP and the port the server listens on.
  await c.admin.req('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } } });
  const node = (await c.admin.req('GET', `/api/v1/nodes/${NODE}`)).body;
  node.status = { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }], daemonEndpoints: { kubeletEndpoint: { Port: server.port } } };
  const put = await c.admin.req('PUT', `/api/v1/nodes/${NODE}/status`, { body: node });
  if (put.status !== 200) throw new Error(`node status: ${put.text}`);
  const sandboxes = new Map<string, string>();
  const kubeconfigs: string[] = [];
  return {
    c, runtime, server, dialed,
    kubeconfig(user, groups = []) {
      const id = user === 'admin' ? { certPem: c.cp.pki.adminCertPem, keyPem: c.cp.pki.adminKeyPem } : issueCert(ca, { commonName: user, organizations: groups, usage: 'client', now: new Date(), validityDays: 1 });
      const path = join(dir, `${user}.kubeconfig`);
      writeFileSync(path, renderKubeconfig({ server: c.cp.url, caCertPem: ca.certPem, clientCertPem: id.certPem, clientKeyPem: id.keyPem, userName: user }));
      kubeconfigs.push(path);
      return path;
    },
    async startContainer(pod, name, attempt, lines) {
      const ref = { uid: pod.uid, namespace: 'default', name: pod.name };
      let sb = sandboxes.get(pod.uid);
      if (!sb) {
        sb = (await runtime.createSandbox({ pod: ref, spec: { containers: [] } })).id;
        sandboxes.set(pod.uid, sb);
      }
      const cfg = { pod: ref, podSpec: { containers: [] }, container: { name }, attempt, image: { ref: 'busybox', digest: 'sha256:0', config: {}, rootfs: '/nonexistent' }, env: [], mounts: [] } as ContainerConfig;
      const created = await runtime.createContainer(sb, cfg);
      const log = runtime.logFile(created);
      mkdirSync(join(log, '..'), { recursive: true });
      writeFileSync(log, lines.join(''));
      await runtime.startContainer(created.id);
      return { ...(await runtime.containerStatus(created.id))!, log };
    },
    append(file, line) {
      appendFileSync(file, line);
    },
    async close() {
      await server.close();
      nodeClient.close();
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
