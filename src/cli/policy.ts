/**
 * `portcullis policy test PATH` and `portcullis policy eval -f FILE --policy FILE`: admission
 * policies checked offline, by the API server's own ValidatingAdmissionPolicy plugin
 * (src/policy-cli). `test` exits 1 when any expectation is not met; `eval` exits 1 when a
 * resource is denied, so both can gate CI.
 */
import { formatEval, evalPolicies } from '../policy-cli/eval.ts';
import { formatRun, runPolicyTests } from '../policy-cli/run-tests.ts';
import { flag, parseCommand } from './args.ts';

const USAGE = `usage: portcullis policy test PATH [-o text|json]
       portcullis policy eval -f RESOURCES.yaml [-f ...] --policy POLICIES.yaml [--policy ...] [-o text|json]`;

function output(args: ReturnType<typeof parseCommand>): 'text' | 'json' {
  const o = flag(args, 'output', 'text');
  if (o !== 'text' && o !== 'json') throw new Error(`unsupported output format "${o}" (text or json)`);
  return o;
}

const shorthand = (argv: string[]): string[] => argv.map((a) => (a === '-f' ? '--filename' : a === '-o' ? '--output' : a));

export async function runPolicy(argv: string[], out: (s: string) => void, cwd = process.cwd()): Promise<number> {
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
    const args = parseCommand(shorthand(rest), { name: 'policy eval', flags: ['filename', 'policy', 'output'] });
    const resources = args.flags.get('filename') ?? [];
    const policies = args.flags.get('policy') ?? [];
    if (resources.length === 0 || policies.length === 0) throw new Error(USAGE);
    const format = output(args);
    const rows = await evalPolicies(resources, policies);
    out(format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : formatEval(rows));
    return rows.some((r) => r.result === 'fail') ? 1 : 0;
  }
  throw new Error(USAGE);
}
