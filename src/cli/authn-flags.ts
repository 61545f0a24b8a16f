import { readFileSync } from 'node:fs';
import type { AuthnConfig } from '../authn/config.ts';
import { flag, type ParsedArgs } from './args.ts';

/** Authentication flags of `portcullis up`, named as kube-apiserver's. */
export const AUTHN_FLAGS = [
  'client-ca-file',
  'token-auth-file',
  'anonymous-auth',
  'requestheader-client-ca-file',
  'requestheader-allowed-names',
  'requestheader-username-headers',
  'requestheader-uid-headers',
  'requestheader-group-headers',
  'requestheader-extra-headers-prefix',
];

export const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['anonymous-auth']);

function list(args: ParsedArgs, name: string): string[] | undefined {
  const v = args.flags.get(name);
  if (!v) return undefined;
  return v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${what}: cannot read ${path}: ${(err as Error).message}`);
  }
}

export function authnFromFlags(args: ParsedArgs): Omit<AuthnConfig, 'clientCaPem'> & { clientCaPem?: string } {
  const out: Omit<AuthnConfig, 'clientCaPem'> & { clientCaPem?: string } = {};
  const ca = flag(args, 'client-ca-file', '');
  if (ca) out.clientCaPem = readPem(ca, '--client-ca-file');
  const tokens = flag(args, 'token-auth-file', '');
  if (tokens) out.tokenAuthFile = tokens;
  const anon = flag(args, 'anonymous-auth', 'false');
  if (anon !== 'true' && anon !== 'false') throw new Error(`--anonymous-auth must be true or false, not ${JSON.stringify(anon)}`);
  out.anonymous = anon === 'true';
  const rhCa = flag(args, 'requestheader-client-ca-file', '');
  if (rhCa) {
    out.requestHeader = { clientCaPem: readPem(rhCa, '--requestheader-client-ca-file') };
    const allowed = list(args, 'requestheader-allowed-names');
    if (allowed) out.requestHeader.allowedNames = allowed;
    const u = list(args, 'requestheader-username-headers');
    if (u) out.requestHeader.usernameHeaders = u;
    const uid = list(args, 'requestheader-uid-headers');
    if (uid) out.requestHeader.uidHeaders = uid;
    const g = list(args, 'requestheader-group-headers');
    if (g) out.requestHeader.groupHeaders = g;
    const e = list(args, 'requestheader-extra-headers-prefix');
    if (e) out.requestHeader.extraHeaderPrefixes = e;
  } else {
    for (const f of AUTHN_FLAGS.filter((x) => x.startsWith('requestheader-') && x !== 'requestheader-client-ca-file')) {
      if (args.flags.has(f)) throw new Error(`--${f} needs --requestheader-client-ca-file`);
    }
  }
  return out;
}
