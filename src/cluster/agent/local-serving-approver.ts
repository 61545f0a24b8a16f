/**
 * `portcullis up` approves the kubelet-serving certificate requests of its OWN local agent, so
 * `kubectl logs`, `exec` and `port-forward` work out of the box (as k3s does for its agent). Upstream
 * leaves kubelet-serving requests to a human (the CSR approving controller never approves them), and
 * so does Portcullis for every other node: only a request whose requester (spec.username, set by the
 * API server from the authenticated identity) is system:node:<local node>, whose subject is that
 * node, whose usages and names are a valid kubelet-serving request, and whose names are exactly
 * among the local host's own names and address, is approved — by `up`'s admin identity, with a
 * reason saying why. `up --approve-local-serving-cert=false` turns it off.
 */
import type { RestClient } from '../client/rest-client.ts';
import type { K8sObject } from '../client/types.ts';
import { CSRS } from '../controllers/certificates/approver.ts';
import { hasCertificate, hasTrueCondition, kubeletServingError, parseRequest, SIGNER_KUBELET_SERVING } from '../controllers/certificates/csr-request.ts';

export interface LocalServingIdentity {
  nodeName: string;
  /** The DNS names and IP addresses the local agent's serving certificate may carry. */
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
}

export const LOCAL_APPROVAL_REASON = 'PortcullisUpLocalAgent';

/** Why this request is not the local agent's own serving request; undefined when it is (and pending). */
export function localServingRefusal(csr: K8sObject, local: LocalServingIdentity): string | undefined {
  if (csr.spec?.signerName !== SIGNER_KUBELET_SERVING) return 'not a kubelet-serving request';
  if (hasCertificate(csr) || hasTrueCondition(csr, 'Approved') || hasTrueCondition(csr, 'Denied')) return 'already decided';
  const node = `system:node:${local.nodeName}`;
  if (csr.spec?.username !== node) return `requested by ${String(csr.spec?.username)}, not ${node}`;
  let req;
  try {
    req = parseRequest(csr.spec?.request);
  } catch (err) {
    return `unreadable request: ${(err as Error).message}`;
  }
  if (req.commonName !== node) return `subject ${req.commonName} is not ${node}`;
  const invalid = kubeletServingError(req, (csr.spec?.usages as string[] | undefined) ?? []);
  if (invalid) return invalid;
  const foreignDns = req.dnsNames.filter((n) => !local.dnsNames.includes(n));
  const foreignIps = req.ipAddresses.filter((ip) => !local.ipAddresses.includes(ip));
  if (foreignDns.length || foreignIps.length) return `names not of this host: ${[...foreignDns, ...foreignIps].join(', ')}`;
  return undefined;
}

/**
 * Looks at kubelet-serving requests every `intervalMs` (a handful of objects, selected by signer on
 * the server) and approves the local agent's own until stopped. Errors are logged and retried.
 */
export function startLocalServingApprover(o: {
  admin: RestClient;
  local: LocalServingIdentity;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  intervalMs?: number;
}): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    try {
      const list = await o.admin.list<K8sObject>(CSRS, '', { fieldSelector: `spec.signerName=${SIGNER_KUBELET_SERVING}` });
      for (const csr of list.items) {
        if (stopped || localServingRefusal(csr, o.local) !== undefined) continue;
        const approved = { ...csr, status: { ...csr.status, conditions: [...((csr.status?.conditions as object[] | undefined) ?? []), { type: 'Approved', status: 'True', reason: LOCAL_APPROVAL_REASON, message: 'Approved by portcullis up for its own local node agent.' }] } };
        await o.admin.update(CSRS, '', approved, 'approval');
        o.log.info({ csr: csr.metadata.name, node: o.local.nodeName }, 'approved the local agent\'s serving certificate request');
      }
    } catch (err) {
      if (!stopped) o.log.warn({ err: (err as Error).message }, 'could not look at the local agent\'s serving certificate requests');
    }
  };
  const loop = () => {
    if (stopped) return;
    running = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, o.intervalMs ?? 2000);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
