/**
 * `portcullis who-can VERB RESOURCE [NAME] [-n NS] [--data-dir D]`: the subjects RBAC allows to do
 * VERB on RESOURCE (`pods`, `deployments.apps`, `pods/log`, or a non-resource URL such as
 * `/healthz`), read from the API server with the data dir's admin kubeconfig. With
 * --casbin-model and --casbin-policy (a file) or --casbin-policy-configmap (read from
 * kube-system), also the principals the Casbin mode allows or denies, with the deciding line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadKubeconfig } from '../util/kubeconfig.ts';
import { sharedAgents } from '../util/http/agent-pool.ts';
import { HttpClientError, send, urlTarget } from '../util/http/send.ts';
import { kubernetesUserAgent } from '../util/http/user-agent.ts';
import type { BindingObject, RoleObject } from '../authz/rbac/types.ts';
import { ALWAYS_ALLOWED_GROUP, parseResourceArg, whoCan, type RbacObjects, type WhoCanEntry, type WhoCanQuery } from '../authz/who-can.ts';
import { flag, parseCommand, type ParsedArgs } from './args.ts';
import { CasbinEngine } from '../authz/casbin/engine.ts';
import { loadCasbinModel } from '../authz/casbin/model.ts';
import { parsePolicy } from '../authz/casbin/policy.ts';
import { POLICY_CONFIGMAP_KEY, POLICY_CONFIGMAP_NAMESPACE } from '../authz/casbin/setup.ts';
import { casbinWhoCan } from '../authz/casbin/who-can.ts';

const RBAC_API = '/apis/rbac.authorization.k8s.io/v1';

export interface AdminClient {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

export async function runWhoCan(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseCommand(
    argv.flatMap((a) => (a === '-n' ? ['--namespace'] : a.startsWith('-n=') ? [`--namespace=${a.slice(3)}`] : [a])),
    { name: 'who-can', flags: ['namespace', 'data-dir', ...CASBIN_FLAGS], maxPositional: 3 },
  );
  const [verb, resourceArg, name] = args.positional;
  if (!verb || !resourceArg) throw new Error('usage: portcullis who-can VERB RESOURCE [NAME] [-n NAMESPACE] [--data-dir DIR]');
  const namespace = flag(args, 'namespace', '');
  const query: WhoCanQuery = resourceArg.startsWith('/')
    ? { verb, group: '', resource: '', subresource: '', namespace: '', nonResourceURL: resourceArg }
    : { verb, ...parseResourceArg(resourceArg), namespace, ...(name ? { name } : {}) };
  if (query.nonResourceURL !== undefined && (namespace || name)) throw new Error('a non-resource URL takes no NAME or namespace');
  const client = loadAdminClient(join(flag(args, 'data-dir', './.portcullis'), 'admin.kubeconfig'));
  const objects = await fetchRbacObjects(client, query.nonResourceURL === undefined ? namespace : '');
  out(`Note: members of group ${ALWAYS_ALLOWED_GROUP} are always allowed (checked before RBAC).\n`);
  out(formatWhoCan(whoCan(objects, query)));
  if (flag(args, 'casbin-model', '')) out(await casbinSection(args, query, client));
  return 0;
}

const CASBIN_FLAGS = ['casbin-model', 'casbin-policy', 'casbin-policy-configmap'];

/** The Casbin mode's answer, loaded as the server loads it (the clock is now). */
async function casbinSection(args: ParsedArgs, q: WhoCanQuery, client: AdminClient): Promise<string> {
  const model = loadCasbinModel(readFileSync(flag(args, 'casbin-model', ''), 'utf8'), flag(args, 'casbin-model', ''));
  const file = flag(args, 'casbin-policy', '');
  const cm = flag(args, 'casbin-policy-configmap', '');
  if (!file === !cm) throw new Error('--casbin-model needs exactly one of --casbin-policy and --casbin-policy-configmap');
  const text = file ? readFileSync(file, 'utf8') : ((await getJson<{ data?: Record<string, string> }>(client, `/api/v1/namespaces/${POLICY_CONFIGMAP_NAMESPACE}/configmaps/${encodeURIComponent(cm)}`)).data?.[POLICY_CONFIGMAP_KEY] ?? '');
  const source = file || `configmap ${POLICY_CONFIGMAP_NAMESPACE}/${cm} ${POLICY_CONFIGMAP_KEY}`;
  const engine = await CasbinEngine.build(model, parsePolicy(text, source, model.shapes));
  const nsLabels = model.requestTokens.includes('nsLabels') && q.namespace ? ((await getJson<{ metadata?: { labels?: Record<string, string> } }>(client, `/api/v1/namespaces/${encodeURIComponent(q.namespace)}`)).metadata?.labels ?? {}) : {};
  const rows = [['PRINCIPAL', 'DECISION', 'LINE']];
  for (const e of casbinWhoCan(engine, q, { nsLabels, now: new Date() })) rows.push([e.principal, e.decision, `${e.line.source} (${[e.line.ptype, ...e.line.values].join(', ')})`]);
  return `\nCasbin (${model.source}; "*" is anyone not named; the union's order decides between modes):\n${table(rows)}`;
}

/** Columns padded as kubectl's tabwriter does (3 spaces); absent values print as <none>. */
export function formatWhoCan(entries: readonly WhoCanEntry[]): string {
  const rows = [['SUBJECT', 'KIND', 'NAMESPACE', 'BINDING', 'ROLE']];
  for (const e of entries) {
    rows.push([e.subject.name, e.subject.kind, e.subject.namespace ?? '<none>', `${e.binding.kind}/${e.binding.namespace ? `${e.binding.namespace}/` : ''}${e.binding.name}`, `${e.role.kind}/${e.role.name}`]);
  }
  return table(rows);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('') + '\n').join('');
}

export function loadAdminClient(path: string): AdminClient {
  let kc;
  try {
    kc = loadKubeconfig(path);
  } catch (err) {
    throw new Error(`${(err as Error).message} (run "portcullis up" with this --data-dir first)`);
  }
  if (kc.caPem === undefined || kc.certPem === undefined || kc.keyPem === undefined) throw new Error(`kubeconfig '${path}': the admin kubeconfig needs a certificate-authority and a client certificate`);
  return { server: kc.server, caPem: kc.caPem, certPem: kc.certPem, keyPem: kc.keyPem };
}

/** Cluster-scoped objects, plus the namespace's roles and bindings when one is asked about. */
export async function fetchRbacObjects(client: AdminClient, namespace: string): Promise<RbacObjects> {
  const ns = `${RBAC_API}/namespaces/${encodeURIComponent(namespace)}`;
  const [clusterRoles, clusterRoleBindings, roles, roleBindings] = await Promise.all([
    list<RoleObject>(client, `${RBAC_API}/clusterroles`),
    list<BindingObject>(client, `${RBAC_API}/clusterrolebindings`),
    namespace ? list<RoleObject>(client, `${ns}/roles`) : Promise.resolve([]),
    namespace ? list<BindingObject>(client, `${ns}/rolebindings`) : Promise.resolve([]),
  ]);
  return { clusterRoles, clusterRoleBindings, roles, roleBindings };
}

async function list<T>(client: AdminClient, path: string): Promise<T[]> {
  const body = await getJson<{ items?: T[] }>(client, path);
  if (!Array.isArray(body.items)) throw new Error(`GET ${path}: not a list`);
  return body.items;
}

/** Lists are read whole: as large as the API client allows. */
const MAX_ANSWER_BYTES = 512 * 1024 * 1024;

/** A GET through the shared HTTP client (src/util/http), kept alive across the few this command sends. */
async function getJson<T>(client: AdminClient, path: string): Promise<T> {
  const t = urlTarget(new URL(path, client.server));
  let res;
  try {
    const agent = sharedAgents.agentFor(t.host, t.port, { caPem: client.caPem, certPem: client.certPem, keyPem: client.keyPem });
    res = await send({ agent, method: 'GET', ...t, headers: { accept: 'application/json', 'user-agent': kubernetesUserAgent('who-can') }, idleTimeoutMs: 30_000, maxResponseBytes: MAX_ANSWER_BYTES });
  } catch (err) {
    throw new Error(`GET ${path}: ${err instanceof HttpClientError && err.kind === 'idle-timeout' ? 'timed out' : (err as Error).message}`, { cause: err });
  }
  const text = res.body.toString('utf8');
  let body: (T & { message?: string }) | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body?.message ?? text.slice(0, 200)}`);
  if (!body || typeof body !== 'object') throw new Error(`GET ${path}: not a JSON object`);
  return body;
}
