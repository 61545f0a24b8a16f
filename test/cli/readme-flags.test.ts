/**
 * README.md against the commands' flags: every flag a `portcullis` command takes is named in the
 * README, and every flag in the Configuration table of `portcullis up` is one `up` takes, with the
 * default the code uses where the table gives one. The flags are read from the source of each
 * `parseCommand(...)` call in src/cli (its `flags:` and `booleans:` lists, `...SPREAD` constants
 * followed through the file's imports), so a flag added to a command without a README line fails
 * here. When it was written 17 flags of 6 commands were named nowhere (the leader-election timings
 * of controller-manager and scheduler, sim nodes' settings, kubeconfig --server/--days, image sign
 * --annotation, keygen --output-key-prefix, snapshot restore --initial-cluster-token).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'src/cli');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

const sources = new Map<string, string>();
const source = (file: string) => {
  let text = sources.get(file);
  if (text === undefined) sources.set(file, (text = readFileSync(file, 'utf8')));
  return text;
};

/** The text from `open` at `start` to its matching close bracket (strings in the lists hold no brackets). */
function balanced(text: string, start: number, open: string, close: string): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unbalanced ${open} at ${start}`);
}

/** The file an identifier of `file` comes from: its own definition, or the module it imports it from. */
function definitionOf(file: string, name: string): { file: string; expr: string } {
  const text = source(file);
  const def = new RegExp(`const ${name}(?:\\s*:[^=]+)?\\s*=\\s*`).exec(text);
  if (def) {
    const at = def.index + def[0].length;
    // A list, or an expression choosing between lists (snapshot's flags by subcommand): up to the statement's end.
    return { file, expr: text[at] === '[' ? balanced(text, at, '[', ']') : text.slice(at, text.indexOf(';', at)) };
  }
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    if (m[1]!.split(',').some((s) => s.trim() === name)) return definitionOf(resolve(dirname(file), m[2]!), name);
  }
  throw new Error(`${name} not found from ${file}`);
}

/** The flag names of a list expression: quoted names inside its brackets, spreads and bare identifiers followed. */
function namesOf(file: string, expr: string): string[] {
  const out: string[] = [];
  for (let i = expr.indexOf('['); i >= 0; i = expr.indexOf('[', i + 1)) {
    const list = balanced(expr, i, '[', ']');
    for (const m of list.matchAll(/'([a-z][a-z0-9-]*)'|\.\.\.([A-Z_][A-Z0-9_]*)/g)) {
      if (m[1]) out.push(m[1]);
      else {
        const d = definitionOf(file, m[2]!);
        out.push(...namesOf(d.file, d.expr));
      }
    }
    i += list.length - 1;
  }
  if (!expr.includes('[')) {
    const d = definitionOf(file, expr.trim());
    out.push(...namesOf(d.file, d.expr));
  }
  return out;
}

/** Every command's flags, from each parseCommand call in src/cli. */
function commandFlags(): Map<string, Set<string>> {
  const commands = new Map<string, Set<string>>();
  for (const name of readdirSync(CLI).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    const file = join(CLI, name);
    const text = source(file);
    for (const m of text.matchAll(/parseCommand\(/g)) {
      if (text.slice(m.index - 16, m.index).includes('function ')) continue;
      const call = balanced(text, m.index + 'parseCommand'.length, '(', ')');
      const spec = call.slice(call.lastIndexOf('{ name:'));
      const command = /name: [`']([^`']+)[`']/.exec(spec)![1]!.replace('${sub}', '*');
      const flags = commands.get(command) ?? new Set<string>();
      for (const key of ['flags', 'booleans']) {
        // `flags: [...]`, `flags: NAME` or the shorthand `flags,` of a local variable.
        const at = spec.search(new RegExp(`\\b${key}\\s*[:,}]`));
        if (at < 0) continue;
        const rest = spec.slice(at + key.length).replace(/^\s*:?\s*/, '');
        const expr = rest[0] === '[' ? balanced(rest, 0, '[', ']') : rest.startsWith(',') || rest.startsWith('}') ? key : /^[A-Za-z_]\w*/.exec(rest)![0];
        for (const f of namesOf(file, expr)) flags.add(f);
      }
      commands.set(command, flags);
    }
  }
  return commands;
}

const mentioned = (flag: string) => new RegExp(`--${flag}(?![a-z0-9-])`).test(README);

test('the flag extraction reads every command of portcullis', () => {
  const commands = commandFlags();
  assert.deepEqual([...commands.keys()].sort(), [
    'agent', 'apiserver', 'audit verify', 'controller-manager', 'explain', 'image build', 'image keygen', 'image push', 'image sign', 'image verify',
    'kubeconfig', 'netpol analyze', 'policy eval', 'policy explain', 'policy test', 'scheduler', 'sim nodes', 'snapshot *', 'up', 'webhook', 'who-can',
  ]);
  // Spreads through imports (API_SERVER_FLAGS -> AUTHN_FLAGS in authn-flags.ts), a local list (snapshot's), booleans.
  const up = commands.get('up')!;
  for (const f of ['port', 'oidc-issuer-url', 'audit-log-path', 'etcd-servers', 'watch-cache', 'anonymous-auth', 'local-agent']) assert.ok(up.has(f), f);
  assert.ok(commands.get('snapshot *')!.has('initial-cluster-token'));
  assert.ok(commands.get('agent')!.has('image-max-layers'));
});

/** A command's one-letter shorthands, as src/cli maps them before parsing (`-f` to `--dir`, `-n` to `--namespace`). */
function shorthands(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(CLI).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const m of source(join(CLI, name)).matchAll(/'(-[a-z])' \? \[?'--([a-z0-9-]+)'/g)) out.set(`${name}:${m[2]}`, m[1]!);
  }
  return out;
}

/** Flags a command takes that the README need not name (none now). */
const NOT_DOCUMENTED = new Set<string>();

test('every flag of every command is named in README.md (or its shorthand, in a line running that command)', () => {
  const short = shorthands();
  const lines = README.split('\n');
  const missing: string[] = [];
  for (const [command, flags] of commandFlags()) {
    const file = readdirSync(CLI).filter((f) => !f.endsWith('.test.ts')).find((f) => source(join(CLI, f)).includes(`name: '${command}'`) || source(join(CLI, f)).includes(`name: \`${command.replace('*', '${sub}')}\``));
    for (const f of flags) {
      if (mentioned(f) || NOT_DOCUMENTED.has(`${command} --${f}`)) continue;
      const s = short.get(`${file}:${f}`);
      if (s && lines.some((l) => l.includes(`portcullis ${command}`) && new RegExp(`(?<![\\w-])${s}(?![\\w-])`).test(l))) continue;
      missing.push(`${command} --${f}`);
    }
  }
  assert.deepEqual(missing, [], 'flags the README never names');
});

/** The flag rows of a README table (`| \`--flag\`, ... | default | meaning |`) between two offsets: each row's flags and default cell. */
function tableRows(from: number, to: number): Array<{ flags: string[]; defaults: string }> {
  return README.slice(from, to).split('\n')
    .filter((l) => l.startsWith('| `--'))
    .map((l) => {
      const [flagCell, defaults] = l.slice(1).split(' | ');
      return { flags: [...flagCell!.matchAll(/`--([a-z0-9-]+)`/g)].map((m) => m[1]!), defaults: defaults!.trim() };
    });
}

/** The rows of the Configuration table of `portcullis up`. */
function configurationRows(): Array<{ flags: string[]; defaults: string }> {
  const start = README.indexOf('\n## Configuration\n');
  const end = README.indexOf('\n#', start + 5);
  assert.ok(start > 0 && end > start, 'README has a Configuration section');
  return tableRows(start, end);
}

test('every flag of the README Configuration table is a flag of portcullis up', () => {
  const up = commandFlags().get('up')!;
  const rows = configurationRows();
  assert.ok(rows.length > 20, `${rows.length} rows`);
  const unknown = rows.flatMap((r) => r.flags).filter((f) => !up.has(f));
  assert.deepEqual(unknown, [], 'documented flags up does not take');
});

/** One value of a default cell: `x` or true/false; undefined for "—", "any" or prose (nothing to compare). */
const cellValue = (cell: string): string | undefined => /^`([^`]*)`(?: \([^)]*\))?$/.exec(cell)?.[1] ?? (/^(true|false)$/.test(cell) ? cell : undefined);

test('the README flag tables of up give the defaults the code uses', () => {
  // The defaults as the flag readers write them: flag(args, 'x', 'd'), boolFlag(args, 'x', b), durationFlag(args, 'x', 'd'),
  // audit's count(args, 'x', n). Read from the files of up's flags only (webhook's --port is 8443).
  const code = new Map<string, string>();
  for (const name of readdirSync(CLI).filter((f) => f === 'up.ts' || f === 'apiserver.ts' || f.endsWith('-flags.ts'))) {
    for (const m of source(join(CLI, name)).matchAll(/(?:flag|boolFlag|durationFlag|count)\(args, '([a-z0-9-]+)', (?:'([^']*)'|(true|false|\d+))\)/g)) {
      const def = m[2] ?? m[3]!;
      // A reader's empty default is "not set"; a command reading the flag twice keeps the default that is not.
      if (def !== '' || !code.has(m[1]!)) code.set(m[1]!, def);
    }
  }
  const up = commandFlags().get('up')!;
  // Every table of up's flags: Configuration, Audit, ...; a row of k flags whose cell lists k defaults is compared one by one.
  const rows = tableRows(0, README.length).filter((r) => r.flags.length > 0 && r.flags.every((f) => up.has(f)));
  const wrong: string[] = [];
  let compared = 0;
  for (const { flags, defaults } of rows) {
    const cells = flags.length === 1 ? [defaults] : defaults.split(/, (?![^(]*\))/);
    if (cells.length !== flags.length) continue; // one default for several flags (service accounts'): prose
    flags.forEach((f, i) => {
      const documented = cellValue(cells[i]!.trim());
      const actual = code.get(f);
      if (documented === undefined || actual === undefined) return; // read elsewhere (up.ts's --durability check, ...)
      compared++;
      if (actual !== documented) wrong.push(`--${f}: README ${documented}, code ${actual}`);
    });
  }
  assert.deepEqual(wrong, []);
  assert.ok(compared >= 16, `${compared} defaults compared`);
});
