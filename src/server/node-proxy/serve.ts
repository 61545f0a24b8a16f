/**
 * pods/log, pods/exec, pods/attach and pods/portforward: served by the pod's node agent and reached
 * through this server, as kube-apiserver's LogREST and connecters. The pipeline has already
 * authenticated the user and authorized `get pods/log` or `create`/`get pods/exec` (the verb of
 * the HTTP method); a GET that upgrades to exec, attach or port-forward must also be allowed to
 * `create` (upstream's AuthorizePodWebsocketUpgradeCreatePermission, on by default from 1.35:
 * otherwise read-only `get pods/exec` grants a shell over WebSocket). exec and attach then pass
 * admission as CONNECT with their options object (DenyEscalatingExec and the like), and the
 * request goes to the agent with this server's own kubelet-client identity.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, forbidden, methodNotAllowed } from '../../api/errors.ts';
import { forbiddenMessage } from '../../authz/forbidden-message.ts';
import type { AuthzAttributes } from '../../authz/types.ts';
import type { RestContext, RestRequest } from '../rest/context.ts';
import { kubeletAddress, podContainer, readPod } from './kubelet-location.ts';
import { proxyStream, proxyUpgrade, type KubeletClientTls, type KubeletTarget } from './kubelet-proxy.ts';
import { podLogRequest } from './log-options.ts';
import { connectRequest, type ConnectKind } from './stream-options.ts';
import { takeUpgrade } from './upgrade-routing.ts';
import { requestAudit } from '../../audit/request-hooks.ts';

export const NODE_STREAM_SUBRESOURCES: ReadonlySet<string> = new Set(['log', 'exec', 'attach', 'portforward']);

const OPTIONS_KIND: Record<ConnectKind, string> = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions' };

async function authorizeCreate(ctx: RestContext, r: RestRequest): Promise<void> {
  const { info } = r;
  const attrs: AuthzAttributes = {
    user: r.user, verb: 'create', isResourceRequest: true, path: info.path, apiGroup: info.apiGroup, apiVersion: info.apiVersion,
    namespace: info.namespace, resource: info.resource, subresource: info.subresource, name: info.name,
  };
  const d = await ctx.authorizer.authorize(attrs);
  if (d.decision === 'allow') return;
  let msg = forbiddenMessage(attrs);
  if (d.reason) msg += `: ${d.reason}`;
  throw forbidden({ group: '', resource: info.resource }, info.name, msg);
}

/** The options object admission sees for a CONNECT (what upstream decodes from the query). */
function optionsObject(kind: ConnectKind, q: URLSearchParams, container: string): Record<string, unknown> {
  const o: Record<string, unknown> = { kind: OPTIONS_KIND[kind], apiVersion: 'v1' };
  if (kind === 'portforward') return { ...o, ports: q.getAll('ports').flatMap((v) => v.split(',')).filter(Boolean).map(Number) };
  for (const f of ['stdin', 'stdout', 'stderr', 'tty']) o[f] = q.has(f) && q.get(f) !== '0' && q.get(f)?.toLowerCase() !== 'false';
  o.container = container;
  if (kind === 'exec') o.command = q.getAll('command');
  return o;
}

export async function serveNodeStream(ctx: RestContext, tls: KubeletClientTls | undefined, r: RestRequest, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { info } = r;
  const sub = info.subresource;
  const name = info.name;
  if (sub === 'log' ? info.verb !== 'get' : info.verb !== 'get' && info.verb !== 'create') throw methodNotAllowed();
  if (sub !== 'log' && info.verb === 'get') await authorizeCreate(ctx, r);
  const pod = await readPod(ctx, r.def, info.namespace, name);
  if (!tls) throw badRequest('this API server has no client identity for node agents: pods/log, exec, attach and portforward are not available');
  const nodeName = String(pod.spec?.nodeName ?? '');
  if (sub === 'log') {
    const o = podLogRequest(name, r.query);
    const container = podContainer(pod, o.container);
    // A pod not yet on a node has no logs: an empty answer, as upstream's nil location.
    if (!nodeName) return void reply.code(200).header('content-type', 'text/plain').send('');
    const addr = await kubeletAddress(ctx, nodeName);
    reply.hijack();
    const target: KubeletTarget = { tls, addr, path: `/containerLogs/${enc(info.namespace)}/${enc(name)}/${enc(container)}`, query: o.kubeletQuery, resource: 'pods/log', name };
    return proxyStream(target, reply.raw);
  }
  const kind = sub as ConnectKind;
  const o = connectRequest(kind, r.query);
  const container = kind === 'portforward' ? '' : podContainer(pod, o.container);
  await ctx.admission.admit(admissionAttributes(r, kind, optionsObject(kind, r.query, container)), r.admission);
  await ctx.admission.validate(admissionAttributes(r, kind, optionsObject(kind, r.query, container)), r.admission);
  if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const addr = await kubeletAddress(ctx, nodeName);
  const up = takeUpgrade(req.raw);
  if (!up) throw badRequest('Upgrade request required');
  const path = kind === 'portforward' ? `/portForward/${enc(info.namespace)}/${enc(name)}` : `/${kind}/${enc(info.namespace)}/${enc(name)}/${enc(container)}`;
  reply.hijack();
  const audit = requestAudit(req);
  const code = await proxyUpgrade({ tls, addr, path, query: o.kubeletQuery, resource: `pods/${sub}`, name }, req.raw, up.socket, up.head, () => audit?.responseStarted(101));
  audit?.complete(code);
  up.ended();
}

function admissionAttributes(r: RestRequest, kind: ConnectKind, object: Record<string, unknown>) {
  return {
    operation: 'CONNECT' as const, object, oldObject: undefined, kind: { group: '', version: 'v1', kind: OPTIONS_KIND[kind] },
    resource: { group: '', version: 'v1', resource: 'pods' }, subresource: r.info.subresource, namespace: r.info.namespace, name: r.info.name, user: r.user, dryRun: false,
  };
}

const enc = encodeURIComponent;
