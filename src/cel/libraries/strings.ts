/**
 * The parts of cel-go's strings extension (version 2, in Kubernetes' base environment) that
 * cel-js lacks: `charAt`, `replace` (all or the first n), `reverse`, `strings.quote` and
 * `format` (%s %d %f %e %x %X %o %b %%). Indexes count code points, as cel-go's do.
 */
import type { Environment } from '@marcbachmann/cel-js';

const codePoints = (s: string): string[] => Array.from(s);

function charAt(s: string, i: bigint): string {
  const cps = codePoints(s);
  if (i < 0n || i > BigInt(cps.length)) throw new Error(`index out of range: ${i}`);
  return cps[Number(i)] ?? '';
}

function replace(s: string, from: string, to: string, n: bigint): string {
  if (n < 0n) return s.split(from).join(to);
  let out = s;
  let pos = 0;
  for (let k = 0n; k < n; k++) {
    const at = out.indexOf(from, pos);
    if (at < 0) break;
    out = out.slice(0, at) + to + out.slice(at + from.length);
    pos = at + to.length + (from === '' ? 1 : 0);
  }
  return out;
}

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function asString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}` : String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(asString).join(', ')}]`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${asString(k)}: ${asString(x)}`).join(', ')}}`;
  return String(v);
}

function integer(v: unknown, verb: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new Error(`error during formatting: ${verb} clause can only be used on integers, was given ${typeof v}`);
}

function format(template: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    let precision: number | undefined;
    let j = i + 1;
    if (template[j] === '.') {
      const m = /^\.(\d+)/.exec(template.slice(j));
      if (!m) throw new Error('error during formatting: unable to find end of precision specifier');
      precision = Number(m[1]);
      j += m[0].length;
    }
    const verb = template[j];
    i = j;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (next >= args.length) throw new Error(`index ${next} out of range`);
    const v = args[next++];
    switch (verb) {
      case 's':
        out += asString(v);
        break;
      case 'd':
        out += String(integer(v, 'decimal'));
        break;
      case 'f':
        out += Number(v).toFixed(precision ?? 6);
        break;
      case 'e': {
        const [m, e] = Number(v).toExponential(precision ?? 6).split('e');
        out += `${m}e${e!.startsWith('-') ? '-' : '+'}${e!.replace(/^[-+]/, '').padStart(2, '0')}`;
        break;
      }
      case 'x':
      case 'X': {
        const h = typeof v === 'string' ? Buffer.from(v).toString('hex') : integer(v, 'hexadecimal').toString(16);
        out += verb === 'X' ? h.toUpperCase() : h;
        break;
      }
      case 'o':
        out += integer(v, 'octal').toString(8);
        break;
      case 'b':
        out += typeof v === 'boolean' ? String(v) : integer(v, 'binary').toString(2);
        break;
      default:
        throw new Error(`error during formatting: could not parse formatting clause: unrecognized formatting clause "${verb ?? ''}"`);
    }
  }
  return out;
}

class StringsNamespace {}

export function registerStringsLibrary(env: Environment): Environment {
  const NS = 'kubernetes.StringsNamespace';
  return env
    .registerFunction('string.charAt(int): string', charAt)
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => replace(s, a, b, -1n))
    .registerFunction('string.replace(string, string, int): string', replace)
    .registerFunction('string.reverse(): string', (s: string) => codePoints(s).reverse().join(''))
    .registerFunction('string.format(list): string', format)
    .registerType(NS, StringsNamespace)
    .registerConstant('strings', NS, new StringsNamespace())
    .registerFunction(`${NS}.quote(string): string`, (_n: StringsNamespace, s: string) => quote(s));
}
