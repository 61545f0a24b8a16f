/**
 * `portcullis policy test PATH` and `portcullis policy eval -f FILE --policy FILE`: admission
 * policies (and Casbin policies, in test) checked offline, by the API server's own plugins and
 * authorizers (src/policy-cli). `test` exits 1 when any expectation is not met; `eval` exits 1
 * when a resource is denied, so both can gate CI. `portcullis policy explain` explains one
 * request: a live one by its audit ID (the server's decision trace, as `portcullis explain`), or
 * one described by a manifest and a user, offline (src/policy-cli/explain.ts); it exits 1 when
 * that request is refused.
 */
import type { ClientConfig } from '../cluster/client/types.ts';
import { RestClient } from '../cluster/client/rest-client.ts';
import { formatEval, evalPolicies } from '../policy-cli/eval.ts';
import { explainOffline } from '../policy-cli/explain.ts';
import { formatRun, runPolicyTests } from '../policy-cli/run-tests.ts';
import { flag, parseCommand } from './args.ts';
import { renderText, runExplain } from './explain.ts';

const USAGE = `usage: portcullis policy test PATH [-o text|json]
       portcullis policy eval -f RESOURCES.yaml [-f ...] --policy POLICIES.yaml [--policy ...] [--rbac FILE]... [-o text|json]
       portcullis policy explain AUDIT-ID [--kubeconfig FILE] [--audit-log-path FILE] [-o text|json]
       portcullis policy explain -f RESOURCE.yaml --as USER [--as-group G]... [--old OLD.yaml] [--policy FILE]...
                                 [--rbac FILE]... [--casbin-model M --casbin-policy P] [--time RFC3339] [-o text|json]`;

function output(args: ReturnType<typeof parseCommand>): 'text' | 'json' {
  const o = flag(args, 'output', 'text');
  if (o !== 'text' && o !== 'json') throw new Error(`unsupported output format "${o}" (text or json)`);
  return o;
}

const shorthand = (argv: string[]): string[] => argv.map((a) => (a === '-f' ? '--filename' : a === '-o' ? '--output' : a));

export async function runPolicy(argv: string[], out: (s: string) => void, cwd = process.cwd(), makeClient: (c: ClientConfig) => Pick<RestClient, 'getPath' | 'close'> = (c) => new RestClient(c)): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'test') {
    const args = parseCommand(shorthand(rest), { name: 'policy test', flags: ['output'], maxPositional: 1 });
    const path = args.positional[0];
    if (!path) throw new Error(USAGE);
    const format = output(args);
    const run = await runPolicyTests(path, cwd);
    out(format === 'json' ? `${JSON.stringify(run, null, 2)}\n` : formatRun(run, cwd));
    return run.failed > 0 ? 1 : 0;
  }
  if (sub === 'eval') {
    const args = parseCommand(shorthand(rest), { name: 'policy eval', flags: ['filename', 'policy', 'rbac', 'output'] });
    const resources = args.flags.get('filename') ?? [];
    const policies = args.flags.get('policy') ?? [];
    if (resources.length === 0 || policies.length === 0) throw new Error(USAGE);
    const format = output(args);
    const rows = await evalPolicies(resources, policies, args.flags.get('rbac') ?? []);
    out(format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : formatEval(rows));
    return rows.some((r) => r.result === 'fail') ? 1 : 0;
  }
  if (sub === 'explain') return explain(rest, out, makeClient);
  throw new Error(USAGE);
}

async function explain(argv: string[], out: (s: string) => void, makeClient: (c: ClientConfig) => Pick<RestClient, 'getPath' | 'close'>): Promise<number> {
  const flags = shorthand(argv);
  // With an audit ID: the live request's trace, exactly as `portcullis explain` shows it.
  if (!flags.includes('--filename')) return runExplain(flags, out, makeClient);
  const args = parseCommand(flags, { name: 'policy explain', flags: ['filename', 'old', 'as', 'as-group', 'policy', 'rbac', 'casbin-model', 'casbin-policy', 'time', 'output'] });
  const username = flag(args, 'as', '');
  if (!username) throw new Error('--as USER is required: whose request to explain');
  const model = flag(args, 'casbin-model', '');
  const policy = flag(args, 'casbin-policy', '');
  if (!model !== !policy) throw new Error('--casbin-model and --casbin-policy go together');
  const time = flag(args, 'time', '');
  const now = time ? new Date(time) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`--time ${JSON.stringify(time)} is not an RFC 3339 time`);
  const format = output(args);
  const old = flag(args, 'old', '');
  const { traces, admitted } = await explainOffline({
    resources: args.flags.get('filename') ?? [],
    ...(old ? { old } : {}),
    user: { username, groups: args.flags.get('as-group') ?? [] },
    policies: args.flags.get('policy') ?? [],
    rbac: args.flags.get('rbac') ?? [],
    ...(model ? { casbin: { model, policy } } : {}),
    now,
  });
  out(format === 'json' ? `${JSON.stringify(traces.length === 1 ? traces[0] : traces, null, 2)}\n` : traces.map(renderText).join('\n'));
  return admitted ? 0 : 1;
}
