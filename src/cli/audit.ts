/**
 * `portcullis audit verify FILE...`: checks an audit log's hash chain and signed checkpoints
 * across its rotated files (any order; sorted by the times in their names) and names the first
 * record that breaks. Exit 0 when the chain is whole, 1 when it breaks (or cannot be checked).
 */
import { existsSync } from 'node:fs';
import { loadAuditPublicKey, signingKeyPaths } from '../audit/signing-key.ts';
import { verifyFiles } from '../audit/verify.ts';
import { flag, parseCommand } from './args.ts';

const USAGE = 'usage: portcullis audit verify [--key audit-signing.pub | --data-dir ./.portcullis] FILE...';

export async function runAudit(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') throw new Error(USAGE);
  const args = parseCommand(rest, { name: 'audit verify', flags: ['key', 'data-dir'], maxPositional: Number.MAX_SAFE_INTEGER });
  if (args.positional.length === 0) throw new Error(USAGE);
  // Signatures are what catch a rewritten log: without the key there is nothing to trust.
  const keyPath = flag(args, 'key', '') || signingKeyPaths(flag(args, 'data-dir', './.portcullis')).pub;
  if (!existsSync(keyPath)) throw new Error(`no audit public key at ${keyPath} (pass --key FILE or --data-dir DIR)`);
  const r = verifyFiles(args.positional, loadAuditPublicKey(keyPath));
  if (r.broken) {
    const b = r.broken;
    err(`${b.file}:${b.line}: ${b.auditID ? `auditID ${b.auditID}: ` : ''}${b.reason}\n`);
    err(`verification FAILED after ${r.records} good records and ${r.checkpoints} checkpoints\n`);
    return 1;
  }
  out(`OK: ${r.records} records, ${r.checkpoints} signed checkpoints, ${r.files.length} file(s) in order:\n${r.files.map((f) => `  ${f}\n`).join('')}`);
  if (r.startsMidChain) out('note: the first record continues an earlier chain (older files were rotated away or not given)\n');
  for (const c of r.cutLines) out(`note: ${c.file}:${c.line} is a record cut short (a crash while writing); the chain continues past it\n`);
  if (r.unsigned > 0) out(`note: the last ${r.unsigned} records are hashed but not yet covered by a signed checkpoint\n`);
  return 0;
}
