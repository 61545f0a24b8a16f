/**
 * `portcullis explain AUDIT-ID [--kubeconfig FILE] [--output text|json] [--audit-log-path FILE]...`:
 * why one request was answered as it was. The API server keeps the decision trace of its recent
 * requests (authentication method, the authorizer's decision with RBAC's binding and rule, each
 * admission verdict with its plugin, patches and time, the answer) at
 * /debug/portcullis/explain/<id>, by the Audit-Id every answer carries; reading it needs RBAC
 * access to that path. With --audit-log-path the audit log's records of the request are shown
 * too, and alone when the server no longer has the trace.
 */
import { readFileSync } from 'node:fs';
import type { ClientConfig } from '../cluster/client/types.ts';
import type { RestClient } from '../cluster/client/rest-client.ts';
import { ApiStatusError } from '../cluster/client/errors.ts';
import { flag, parseCommand } from './args.ts';
// component-client, not controller-manager/sim: those would load every controller and the simulator.
import { clientConfigFromKubeconfig, kubeconfigFlag } from './component-client.ts';
import { kubeconfigPathList } from '../util/kubeconfig.ts';

type Doc = Record<string, any>;

export async function runExplain(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => Pick<RestClient, 'getPath' | 'close'>): Promise<number> {
  const args = parseCommand(argv, { name: 'explain', flags: ['kubeconfig', 'output', 'audit-log-path'], maxPositional: 1 });
  const id = args.positional[0];
  if (!id) throw new Error('an audit ID is required: portcullis explain AUDIT-ID (every answer carries one in its Audit-Id header)');
  const output = flag(args, 'output', 'text');
  if (output !== 'text' && output !== 'json') throw new Error(`invalid argument ${JSON.stringify(output)} for "--output" flag: want text or json`);
  const logs = args.flags.get('audit-log-path') ?? [];
  const records = logs.flatMap((f) => auditRecords(f, id));

  let trace: Doc | undefined;
  let missing = '';
  // The server is asked when a kubeconfig is given (KUBECONFIG of no paths, such as ":", is none).
  if (logs.length === 0 || flag(args, 'kubeconfig', '') || kubeconfigPathList(process.env.KUBECONFIG ?? '').length > 0) {
    const client = makeClient(clientConfigFromKubeconfig(kubeconfigFlag(args)));
    try {
      trace = await client.getPath<Doc>(`/debug/portcullis/explain/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!(err instanceof ApiStatusError) || err.code !== 404) throw err;
      missing = err.message;
    } finally {
      client.close();
    }
  }
  if (!trace && records.length === 0) throw new Error(missing || `no audit record with auditID ${JSON.stringify(id)}`);
  if (output === 'json') {
    out(`${JSON.stringify({ ...(trace ? { trace } : {}), ...(records.length ? { auditRecords: records } : {}) }, null, 2)}\n`);
    return 0;
  }
  if (trace) out(renderText(trace));
  else out(`The server keeps no trace of ${id} any more; from the audit log:\n`);
  for (const r of records) out(renderRecord(r));
  return 0;
}

/** The audit log's records (JSON lines) of one request. */
function auditRecords(file: string, id: string): Doc[] {
  const found: Doc[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    // Cheap filter first: most lines are other requests.
    if (!line.includes(id)) continue;
    let ev: Doc;
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    if (ev.auditID === id) found.push(ev);
  }
  return found;
}

export function renderText(t: Doc): string {
  const lines: string[] = [];
  lines.push(`Request:        ${t.verb || '?'} ${t.requestURI}  (audit ID ${t.auditID}, received ${t.requestReceivedTimestamp})`);
  if (t.user) lines.push(`User:           ${t.user.username}  groups=[${t.user.groups.join(', ')}]`);
  if (t.impersonatedBy) lines.push(`Impersonated by: ${t.impersonatedBy.username}`);
  const an = t.authentication;
  if (an) lines.push(`Authentication: ${an.result}${an.method ? ` by ${an.method}` : ''} (${an.durationMs} ms)`);
  const az = t.authorization;
  if (az) {
    // The union's 'none': every authorizer had no opinion, which is a deny.
    const by = az.authorizer === 'none' ? ' (no authorizer allowed it)' : az.authorizer ? ` by ${az.authorizer}` : '';
    lines.push(`Authorization:  ${az.decision}${by} (${az.durationMs} ms)`);
    if (az.reason) lines.push(`  reason:       ${az.reason}`);
    if (az.binding) lines.push(`  binding:      ${az.binding.kind} ${az.binding.namespace ? `${az.binding.namespace}/` : ''}${az.binding.name} -> ${az.role.kind} ${az.role.name}`);
    if (az.rule) lines.push(`  rule:         ${JSON.stringify(az.rule)}`);
  }
  const adm: Doc[] = t.admission ?? [];
  if (adm.length > 0) {
    lines.push('Admission:');
    for (const a of adm) {
      lines.push(`  ${a.phase === 'mutating' ? 'mutating  ' : 'validating'} ${a.plugin}: ${a.allowed ? 'allowed' : 'DENIED'} (${a.durationMs} ms)${a.reason ? ` - ${a.reason}` : ''}`);
      if (a.patches) lines.push(`             patches: ${a.patches}`);
    }
  }
  if (t.response) lines.push(`Response:       ${t.response.code}${t.response.reason ? ` ${t.response.reason}` : ''}${t.response.message ? `: ${t.response.message}` : ''}`);
  if (t.durationMs !== undefined) lines.push(`Duration:       ${t.durationMs} ms`);
  return `${lines.join('\n')}\n`;
}

function renderRecord(r: Doc): string {
  const ann: Record<string, string> = r.annotations ?? {};
  const shown = Object.entries(ann).filter(([k]) => !k.startsWith('audit.portcullis.dev/'));
  const head = `Audit record:   ${r.stage} level=${r.level} ${r.verb} ${r.requestURI} user=${r.user?.username ?? '?'} code=${r.responseStatus?.code ?? '-'}`;
  return `${[head, ...shown.map(([k, v]) => `  ${k}: ${v}`)].join('\n')}\n`;
}
