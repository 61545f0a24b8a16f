/**
 * The node network plugin's own identity, as calico-node has its service account and kube-proxy
 * system:kube-proxy: a client certificate for system:node-network:<node> in system:node-networks
 * (signer portcullis.dev/node-network-client), requested with the node's own credential. The CSR
 * approving controller approves it only for the node that asks (certificatesigningrequests/
 * selfnodenetwork), and RBAC (system:portcullis:node-network-plugin) lets it list and watch what
 * NetworkPolicy, Services, routes and DNS need cluster-wide, so the kubelet's identity keeps only
 * what the Node authorizer gives it. The certificate is kept beside the node's
 * (<data-dir>/pki/node-network-client-current.pem) and renewed at 70-90 % of its life, again as
 * the node; the client switches to it in place.
 */
import type { Timers } from '../../client/timers.ts';
import type { ApiClient, ClientConfig } from '../../client/types.ts';
import { NODE_NETWORK_GROUP, NODE_NETWORK_USER_PREFIX, SIGNER_NODE_NETWORK_CLIENT } from '../../controllers/certificates/node-network-names.ts';
import { CertManager } from '../cert-manager.ts';
import { CLIENT_USAGES, loadCert, type StoredCert } from '../node-certificates.ts';
import { RotatingClient } from '../rotating-client.ts';

export interface NetworkIdentityOptions {
  nodeName: string;
  dataDir: string;
  /** The node's own client: the requests are filed and read as the node. */
  nodeClient: () => ApiClient;
  /** The client configuration for a certificate (server, CA, user agent). */
  config: (c: StoredCert) => ClientConfig;
  make: (c: ClientConfig) => ApiClient;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  now: () => number;
  random?: () => number;
  timers?: Timers;
  pollMs?: number;
}

export interface NetworkIdentity {
  /** The identity's client, once it has a certificate; rejects if stopped before. */
  readonly client: Promise<ApiClient>;
  current(): StoredCert | undefined;
  /** Stops renewing and closes the client (after whatever used it has stopped). */
  stop(): void;
}

export const networkSubject = (nodeName: string) => ({ commonName: `${NODE_NETWORK_USER_PREFIX}${nodeName}`, organizations: [NODE_NETWORK_GROUP] });

export function startNetworkIdentity(o: NetworkIdentityOptions): NetworkIdentity {
  let rotating: RotatingClient | undefined;
  let resolve!: (c: ApiClient) => void;
  let reject!: (e: Error) => void;
  const client = new Promise<ApiClient>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Whoever starts the network awaits it; a stop before the certificate is no unhandled rejection.
  client.catch(() => {});
  const use = (c: StoredCert) => {
    if (rotating) return rotating.replace(o.config(c));
    rotating = new RotatingClient(o.config(c), o.make, { timers: o.timers });
    resolve(rotating);
  };
  const stored = loadCert(o.dataDir, 'network', new Date(o.now()));
  const certs = new CertManager({
    kind: 'network', nodeName: o.nodeName, dataDir: o.dataDir, signerName: SIGNER_NODE_NETWORK_CLIENT, usages: CLIENT_USAGES, subject: networkSubject(o.nodeName),
    current: stored, client: o.nodeClient, onRotated: use, log: o.log, now: o.now, random: o.random, timers: o.timers, pollMs: o.pollMs,
  });
  if (stored) use(stored);
  else o.log.info({ node: o.nodeName, signer: SIGNER_NODE_NETWORK_CLIENT }, 'requesting the node network identity\'s client certificate');
  certs.start();
  return {
    client,
    current: () => certs.current,
    stop() {
      certs.stop();
      reject(new Error(`stopped before the node network identity of ${o.nodeName} had its certificate`));
      rotating?.close();
    },
  };
}
