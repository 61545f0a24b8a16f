/**
 * Keep-alive HTTPS agents, one per (host, port, TLS material), in a bounded cache. Every webhook
 * caller takes its agent from here (through src/util/http/send.ts), so a busy admission webhook or
 * token webhook costs one request per call, not a TCP and TLS handshake each time (~3 ms of CPU
 * for mutual TLS), and no caller can grow the number of agents without bound: the admission
 * webhooks' targets come from objects clients write.
 *
 * The server's certificate is always verified: against `caPem` when given, else the system roots
 * (Go's default, which upstream uses when a caBundle is absent). Nothing here turns verification
 * off: the aggregation proxy (src/server/aggregation/transport.ts), which takes its verified
 * connections from a pool of its own, opens a connection per request for an APIService with
 * insecureSkipTLSVerify.
 */
import { createHash } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';

/** What a connection trusts and presents. */
export interface TlsMaterial {
  /** PEM bundle to trust; absent means the system roots. */
  caPem?: string | undefined;
  /** Client certificate and key (mutual TLS); both or neither. */
  certPem?: string | undefined;
  keyPem?: string | undefined;
  /** The name the server's certificate is checked against (and sent as SNI), when not the host. */
  serverName?: string | undefined;
}

export interface AgentPoolOptions {
  /** Agents kept at most (default 64); the least recently used one is retired past that. */
  maxAgents?: number;
  /** Connections per agent at most (default 32): more requests wait for a free one. */
  maxSockets?: number;
  /** Idle connections kept per agent (default 4). */
  maxFreeSockets?: number;
  /** An idle connection is closed after this long (default 90 s, Go's IdleConnTimeout). */
  idleTimeoutMs?: number;
}

/** One keep-alive agent for `tlsMaterial` (used by the pool and by clients with one fixed endpoint). */
export function createAgent(m: TlsMaterial, o: Omit<AgentPoolOptions, 'maxAgents'> = {}): https.Agent {
  if (!!m.certPem !== !!m.keyPem) throw new Error('TLS material needs both a client certificate and its key, or neither');
  // One TLS context for every connection of the agent: parsing the CA, certificate and key per
  // connect is a visible share of a busy client's CPU.
  // Without `ca` the context trusts the system roots (tls.createSecureContext's default).
  const secureContext = tls.createSecureContext({ ...(m.caPem ? { ca: m.caPem } : {}), cert: m.certPem, key: m.keyPem });
  return new https.Agent({
    keepAlive: true,
    secureContext,
    ...(m.serverName ? { servername: m.serverName } : {}),
    rejectUnauthorized: true,
    maxSockets: o.maxSockets ?? 32,
    maxFreeSockets: o.maxFreeSockets ?? 4,
    timeout: o.idleTimeoutMs ?? 90_000,
    scheduling: 'lifo',
  });
}

export class AgentPool {
  readonly #agents = new Map<string, https.Agent>();
  /**
   * SHA-256 of each PEM seen, computed once per distinct PEM rather than on every call (hashing a
   * CA, certificate and key each request cost 6-16 µs of CPU, a Map lookup by the same text
   * ~0.1-0.3 µs). Bounded: emptied when full; the digests recomputed are the same keys.
   */
  readonly #digests = new Map<string, string>();
  readonly #max: number;
  readonly #agentOptions: Omit<AgentPoolOptions, 'maxAgents'>;

  constructor(o: AgentPoolOptions = {}) {
    this.#max = o.maxAgents ?? 64;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new Error(`maxAgents must be a positive integer, got ${this.#max}`);
    this.#agentOptions = { maxSockets: o.maxSockets, maxFreeSockets: o.maxFreeSockets, idleTimeoutMs: o.idleTimeoutMs };
  }

  /** The agent for connections to host:port with this TLS material (made on first use). */
  agentFor(host: string, port: number, m: TlsMaterial): https.Agent {
    // Digests, not the PEM itself, make the key: a key holds no secret and stays small.
    const key = JSON.stringify([host, port, m.serverName ?? '', this.#digest(m.caPem), this.#digest(m.certPem), this.#digest(m.keyPem)]);
    let agent = this.#agents.get(key);
    if (agent) {
      // Most recently used last: the first entry is the one to retire.
      this.#agents.delete(key);
      this.#agents.set(key, agent);
      return agent;
    }
    agent = createAgent(m, this.#agentOptions);
    this.#agents.set(key, agent);
    if (this.#agents.size > this.#max) {
      const [oldKey, old] = this.#agents.entries().next().value as [string, https.Agent];
      this.#agents.delete(oldKey);
      retire(old);
    }
    return agent;
  }

  #digest(pem: string | undefined): string {
    if (!pem) return '';
    let d = this.#digests.get(pem);
    if (d === undefined) {
      if (this.#digests.size >= 4 * this.#max) this.#digests.clear();
      d = createHash('sha256').update(pem).digest('base64');
      this.#digests.set(pem, d);
    }
    return d;
  }

  /** Agents held now (for tests and metrics). */
  get size(): number {
    return this.#agents.size;
  }

  /** Closes every connection; requests in flight fail. */
  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }
}

/**
 * Requests still running on a retired agent finish; its idle connections close now and the busy
 * ones when they are done (an agent that does not keep alive closes a freed socket).
 */
function retire(agent: https.Agent): void {
  (agent as https.Agent & { keepAlive: boolean }).keepAlive = false;
  for (const list of Object.values(agent.freeSockets)) for (const s of list ?? []) s.destroy();
}

/** The process's pool for webhook callers that do not bring their own. */
export const sharedAgents = new AgentPool();
