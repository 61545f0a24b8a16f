/** A small flag parser: `--name value`, `--name=value`, boolean `--flag`; repeated flags collect. */
export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: string[], booleans: ReadonlySet<string> = new Set()): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const put = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) {
      put(a.slice(2, eq), a.slice(eq + 1));
    } else if (booleans.has(a.slice(2))) {
      put(a.slice(2), 'true');
    } else {
      const v = argv[i + 1];
      if (v === undefined) throw new Error(`flag ${a} needs a value`);
      put(a.slice(2), v);
      i++;
    }
  }
  return { positional, flags };
}

export function flag(args: ParsedArgs, name: string, def: string): string {
  const v = args.flags.get(name);
  return v && v.length > 0 ? v[v.length - 1]! : def;
}

/** Rejects flags the command does not know, by name (DESIGN: reject what you do not support). */
export function checkFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const k of args.flags.keys()) if (!known.includes(k)) throw new Error(`unknown flag: --${k}`);
}

/** A flag given as comma-separated values, possibly repeated. */
export function commaList(args: ParsedArgs, name: string): string[] {
  return (args.flags.get(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
