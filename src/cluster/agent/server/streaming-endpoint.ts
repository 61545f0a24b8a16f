/**
 * The agent's HTTPS endpoint as the agent runs it: started on the Node's daemon endpoint (the
 * address the API server dials, port 10250) once the kubelet-serving certificate exists — the
 * agent hands it over at start when stored, once approved and signed, and on every rotation
 * (AgentOptions.onServingCertificate) — and serving with the newest one after that. Until then
 * nothing listens: there is no certificate the API server would accept. A port already taken is
 * reported and the agent keeps running its pods; the next certificate tries again.
 */
import type { ApiClient } from '../../client/types.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import { startAgentServer, type AgentServer } from './agent-server.ts';
import type { PortDialer } from './port-forward.ts';
import type { ClaimVolume } from './stats-summary.ts';
import { subjectAccessReviewer } from './review-access.ts';

export interface StreamingEndpointOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  /** The cluster CA: client certificates must chain to it. */
  clientCaPem: string;
  /** The node's own client (SubjectAccessReviews as system:node:<name>); may throw until the agent runs. */
  client: () => ApiClient;
  address: string;
  port: number;
  dial?: PortDialer;
  /** /metrics/probes: the agent's prober metrics, once it runs. */
  probeMetrics?: () => Promise<string>;
  /** The agent's data directory and its images' size, for /stats/summary. */
  dataDir?: string;
  imagesUsage?: () => Promise<number>;
  /** Whether a pod on the node uses a volume at this path (the agent's VolumeManager.usesPath). */
  volumePathInUse?: (path: string) => boolean;
  /** A pod's volumes from claims (the agent's VolumeManager.claimVolumes), for /stats/summary. */
  claimVolumes?: (podUid: string) => readonly ClaimVolume[];
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

export class StreamingEndpoint {
  readonly #o: StreamingEndpointOptions;
  #server: AgentServer | undefined;
  #starting: Promise<void> | undefined;
  #latest: { certPem: string; keyPem: string } | undefined;
  #closed = false;

  constructor(o: StreamingEndpointOptions) {
    this.#o = o;
  }

  /** The port served on, once serving. */
  get port(): number | undefined {
    return this.#server?.port;
  }

  setCertificate(c: { certPem: string; keyPem: string }): void {
    this.#latest = { certPem: c.certPem, keyPem: c.keyPem };
    if (this.#server) return this.#server.setCertificate(this.#latest);
    if (this.#starting || this.#closed) return;
    const o = this.#o;
    this.#starting = startAgentServer({ nodeName: o.nodeName, runtime: o.runtime, cert: this.#latest, clientCaPem: o.clientCaPem, review: subjectAccessReviewer(o.client), dial: o.dial, probeMetrics: o.probeMetrics, dataDir: o.dataDir, imagesUsage: o.imagesUsage, volumePathInUse: o.volumePathInUse, claimVolumes: o.claimVolumes, log: o.log }, o.port, o.address)
      .then(async (s) => {
        if (this.#closed) return s.close();
        this.#server = s;
        // A rotation that came while the server was starting.
        if (this.#latest) s.setCertificate(this.#latest);
        o.log.info({ address: o.address, port: s.port }, 'node agent serving logs, exec and port-forward');
      })
      .catch((err: Error) => o.log.warn({ err: err.message, address: o.address, port: o.port }, 'node agent HTTPS endpoint not started'))
      .finally(() => {
        this.#starting = undefined;
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#starting;
    await this.#server?.close();
    this.#server = undefined;
  }
}
