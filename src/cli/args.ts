/**
 * The flag parser of every command: `--name value`, `--name=value`, repeated flags collect.
 * Boolean flags take `--flag`, `--flag=B` or `--flag B` where B is a Go strconv.ParseBool literal
 * (true/false, 1/0, t/f, ...); anything else is refused by name. A word the command does not take
 * is an error, never silently ignored: `--anonymous-auth false` once left `false` behind as a
 * stray argument and turned anonymous access on.
 */
import { DurationError, parseDurationMs } from '../util/duration.ts';

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
}

export interface CommandSpec {
  /** The command, for messages ("up", "who-can"). */
  name: string;
  /** Flags that take a value. */
  flags: readonly string[];
  /** Flags that are true or false. */
  booleans?: readonly string[];
  /** How many positional arguments the command takes at most (default none). */
  maxPositional?: number;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** pflag's error for a value a flag refuses. */
export function invalidFlag(name: string, v: string, why: string): Error {
  return new Error(`invalid argument ${JSON.stringify(v)} for "--${name}" flag: ${why}`);
}

function parseBool(name: string, v: string): 'true' | 'false' {
  if (TRUE.has(v)) return 'true';
  if (FALSE.has(v)) return 'false';
  throw invalidFlag(name, v, `strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** Parses argv for a command and refuses unknown flags, bad booleans and extra arguments. */
export function parseCommand(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const booleans = new Set(spec.booleans ?? []);
  const known = new Set([...spec.flags, ...booleans]);
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const put = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  let onlyPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (onlyPositional || !a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositional = true;
      continue;
    }
    if (!a.startsWith('--')) throw new Error(`unknown shorthand flag: ${JSON.stringify(a)}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.has(name)) throw new Error(`unknown flag: --${name}`);
    if (booleans.has(name)) {
      if (eq > 0) {
        put(name, parseBool(name, a.slice(eq + 1)));
      } else {
        const next = argv[i + 1];
        // `--flag false` means false: the word belongs to the flag, not to the command.
        if (next !== undefined && (TRUE.has(next) || FALSE.has(next))) {
          put(name, parseBool(name, next));
          i++;
        } else {
          put(name, 'true');
        }
      }
    } else if (eq > 0) {
      put(name, a.slice(eq + 1));
    } else {
      const v = argv[i + 1];
      if (v === undefined) throw new Error(`flag needs an argument: --${name}`);
      put(name, v);
      i++;
    }
  }
  const max = spec.maxPositional ?? 0;
  if (positional.length > max) {
    const extra = positional.slice(max).map((p) => JSON.stringify(p)).join(' ');
    throw new Error(max === 0 ? `"portcullis ${spec.name}" takes no arguments, got ${extra}` : `"portcullis ${spec.name}" takes at most ${max} arguments; unexpected ${extra}`);
  }
  return { positional, flags };
}

export function flag(args: ParsedArgs, name: string, def: string): string {
  const v = args.flags.get(name);
  return v && v.length > 0 ? v[v.length - 1]! : def;
}

/** A boolean flag (already checked by parseCommand), or `def` when absent. */
export function boolFlag(args: ParsedArgs, name: string, def: boolean): boolean {
  const v = flag(args, name, '');
  return v === '' ? def : v === 'true';
}

/**
 * A duration flag in Go syntax ("500ms", "1.5s", "2m", "1h30m", "0"), in milliseconds. Negative
 * durations are refused: every duration flag here is a TTL or a limit.
 */
export function durationFlag(args: ParsedArgs, name: string, def: string): number {
  const v = flag(args, name, def);
  let ms: number;
  try {
    ms = parseDurationMs(v);
  } catch (err) {
    if (err instanceof DurationError) throw invalidFlag(name, v, err.message);
    throw err;
  }
  if (ms < 0) throw invalidFlag(name, v, 'must not be negative');
  return ms;
}

/** A pflag int32 flag (decimal), or `def` when absent; strconv.ParseInt's words when it is not one. */
export function int32Flag(args: ParsedArgs, name: string, def: number): number {
  const v = flag(args, name, '');
  if (v === '') return def;
  if (!/^[+-]?\d+$/.test(v)) throw invalidFlag(name, v, `strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (n < -(2 ** 31) || n > 2 ** 31 - 1) throw invalidFlag(name, v, `strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}

/** A flag given as comma-separated values, possibly repeated. */
export function commaList(args: ParsedArgs, name: string): string[] {
  return (args.flags.get(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
