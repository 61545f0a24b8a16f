/**
 * `portcullis webhook`: the policy engine served to an existing Kubernetes cluster (DESIGN.md run
 * modes). Trust policies (ClusterImagePolicy, ImagePolicy), ValidatingAdmissionPolicies with
 * their bindings and params, Namespaces, key Secrets and an optional ImageVerificationConfiguration
 * come from --policies files; --kubeconfig lets it read what the files do not hold (pull Secrets,
 * ServiceAccounts, Namespaces, key Secrets, params by name) from the cluster it serves. RBAC
 * objects in the files answer SubjectAccessReviews; --token-auth-file answers TokenReviews.
 *
 * Images no policy matches are denied (NO_POLICY) unless the ImageVerificationConfiguration says
 * otherwise: a webhook asked about images fails closed by default.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { TokenFileAuthenticator } from '../authn/token-file.ts';
import { startRbacAuthorizer } from '../authz/rbac/authorizer.ts';
import { ApiStatusError } from '../cluster/client/errors.ts';
import { RestClient } from '../cluster/client/rest-client.ts';
import { imageVerificationConfigFrom } from '../image-policy/admission/config-file.ts';
import type { ImageVerificationConfig } from '../image-policy/admission/config.ts';
import { ClusterReadStore, type ClusterGet } from '../webhook-server/cluster-reads.ts';
import { PolicyEngine } from '../webhook-server/engine.ts';
import { readPolicyPaths, type SourcedObject } from '../webhook-server/policy-files.ts';
import { loadPolicyStore } from '../webhook-server/policy-store.ts';
import { buildWebhookServer } from '../webhook-server/server.ts';
import { commaList, durationFlag, flag, parseCommand } from './args.ts';
import { untilStopped } from './controller-manager.ts';
import { clientConfigFromKubeconfig } from './sim.ts';

export const WEBHOOK_USAGE = `usage: portcullis webhook --tls-cert-file F --tls-private-key-file F --policies DIR|FILE[,...]
  [--client-ca-file F] [--kubeconfig F] [--token-auth-file F] [--bind-address 0.0.0.0] [--port 8443]
  [--request-timeout 60s] [--log-level info]
serves POST /imagereview (ImagePolicyWebhook), /validate and /mutate (AdmissionReview),
/authorize (SubjectAccessReview, RBAC from the files), /authenticate (TokenReview, with --token-auth-file), GET /healthz
`;

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

/** The ImageVerificationConfiguration among the objects (at most one); NO_POLICY by default. */
function imageSettings(objects: SourcedObject[]): ImageVerificationConfig {
  const found = objects.filter((o) => o.object.kind === 'ImageVerificationConfiguration');
  if (found.length > 1) throw new Error(`more than one ImageVerificationConfiguration (${found.map((f) => f.file).join(', ')})`);
  const cfg = found[0] ? imageVerificationConfigFrom(found[0].object, found[0].file, dirname(found[0].file)) : {};
  return { ...cfg, noMatch: cfg.noMatch ?? 'deny' };
}

function clusterGet(kubeconfig: string): { get: ClusterGet; close: () => void } {
  const client = new RestClient({ ...clientConfigFromKubeconfig(kubeconfig), userAgent: 'portcullis-webhook' });
  const get: ClusterGet = async (path) => {
    try {
      return await client.getPath<Record<string, any>>(path);
    } catch (err) {
      if (err instanceof ApiStatusError && err.code === 404) return undefined;
      throw err;
    }
  };
  return { get, close: () => client.close() };
}

export async function runWebhook(argv: string[], out: (s: string) => void, stopSignal?: Promise<void>): Promise<number> {
  const args = parseCommand(argv, { name: 'webhook', flags: ['tls-cert-file', 'tls-private-key-file', 'client-ca-file', 'policies', 'kubeconfig', 'token-auth-file', 'bind-address', 'port', 'request-timeout', 'log-level'] });
  const certFile = flag(args, 'tls-cert-file', '');
  const keyFile = flag(args, 'tls-private-key-file', '');
  if (!certFile || !keyFile) throw new Error(`--tls-cert-file and --tls-private-key-file are required (the webhook serves HTTPS only)\n${WEBHOOK_USAGE}`);
  const paths = commaList(args, 'policies');
  if (paths.length === 0) throw new Error(`--policies is required\n${WEBHOOK_USAGE}`);
  const port = Number(flag(args, 'port', '8443'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid argument ${JSON.stringify(flag(args, 'port', ''))} for "--port" flag`);
  const requestTimeoutMs = durationFlag(args, 'request-timeout', '60s');
  const caFile = flag(args, 'client-ca-file', '');
  const kubeconfig = flag(args, 'kubeconfig', '');
  const log = pino({ level: flag(args, 'log-level', 'info') });
  const tokenFile = flag(args, 'token-auth-file', '');
  const authenticator = tokenFile ? new TokenFileAuthenticator({ path: tokenFile, log }) : undefined;

  const objects = readPolicyPaths(paths);
  const imageVerification = imageSettings(objects);
  const policies = await loadPolicyStore(objects.filter((o) => o.object.kind !== 'ImageVerificationConfiguration'));
  const cluster = kubeconfig ? clusterGet(kubeconfig) : undefined;
  const store = new ClusterReadStore(policies.store, cluster?.get, Date.now);
  const engine = new PolicyEngine({ policies, store, log, now: () => new Date(), imageVerification });
  // RBAC over the Roles, ClusterRoles and bindings of the files (the files only, never the cluster's).
  const rbac = startRbacAuthorizer(policies.store);
  try {
    await Promise.all([engine.ready(), rbac.ready]);
    const app = await buildWebhookServer({
      engine,
      authorizer: rbac.authorizer,
      ...(authenticator ? { authenticator } : {}),
      log,
      certPem: read(certFile, '--tls-cert-file'),
      keyPem: read(keyFile, '--tls-private-key-file'),
      ...(caFile ? { clientCaPem: read(caFile, '--client-ca-file') } : {}),
      requestTimeoutMs,
    });
    const address = await app.listen({ port, host: flag(args, 'bind-address', '0.0.0.0') });
    const counts = Object.entries(policies.counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'no objects';
    out(`portcullis webhook serving on ${address} (${counts}${caFile ? ', client certificates required' : ''})\n`);
    await untilStopped(stopSignal);
    await app.close();
    return 0;
  } finally {
    engine.close();
    rbac.stop();
    cluster?.close();
    await store.close();
  }
}
