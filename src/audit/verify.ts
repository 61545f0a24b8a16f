/**
 * `portcullis audit verify`: checks a log's hash chain and checkpoint signatures across its
 * rotated files (given in any order) and names the first record that breaks.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { CHECKPOINT_KIND, checkLine, checkpointValid, GENESIS, PREV_HASH, sha256hex, type Checkpoint } from './chain.ts';
import { keyIdOf } from './signing-key.ts';
import { sortLogFiles } from './rotation.ts';

export interface VerifyBreak {
  file: string;
  /** 1-based line number. */
  line: number;
  auditID?: string;
  reason: string;
}

export interface VerifyResult {
  files: string[];
  records: number;
  checkpoints: number;
  /** Records after the last valid checkpoint (hashed, not yet signed). */
  unsigned: number;
  /** The first record's prev-hash was not the genesis: older files were rotated away or not given. */
  startsMidChain: boolean;
  /**
   * Lines that are not records but that the next record chains onto (a write cut short by a
   * crash, after which the writer went on): reported, not a break. A record cut or edited later
   * still breaks, since the next record names the hash of the whole original line.
   */
  cutLines: Array<{ file: string; line: number }>;
  broken?: VerifyBreak;
}

export function verifyFiles(files: readonly string[], key: KeyObject | undefined, read: (f: string) => string = (f) => readFileSync(f, 'utf8')): VerifyResult {
  const ordered = sortLogFiles(files);
  const keyID = key ? keyIdOf(key) : undefined;
  const res: VerifyResult = { files: ordered, records: 0, checkpoints: 0, unsigned: 0, startsMidChain: false, cutLines: [] };
  let prev: string | undefined;
  const all = ordered.flatMap((file) => {
    const lines = read(file).split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((text, i) => ({ file, line: i + 1, text }));
  });
  for (let n = 0; n < all.length; n++) {
    const { file, text: line } = all[n]!;
    {
      const at = (reason: string, auditID?: string): VerifyResult => ({ ...res, broken: { file, line: all[n]!.line, auditID, reason } });
      let rec: Record<string, any> | undefined;
      try {
        rec = JSON.parse(line);
      } catch {
        rec = undefined;
      }
      const { claimed, intact } = checkLine(line);
      if (!rec || !claimed) {
        if (nextChainsOnto(all[n + 1]?.text, line)) {
          res.cutLines.push({ file, line: all[n]!.line });
          prev = sha256hex(line);
          continue;
        }
        return at(rec ? 'record carries no audit.portcullis.dev/hash' : 'not a JSON record (altered or cut short)', typeof rec?.auditID === 'string' ? rec.auditID : undefined);
      }
      const auditID = typeof rec.auditID === 'string' ? rec.auditID : undefined;
      if (!intact) return at('record was altered: its content does not match its hash', auditID);
      const p = rec.annotations?.[PREV_HASH];
      if (prev === undefined) res.startsMidChain = p !== GENESIS;
      else if (p !== prev) return at('chain broken: the record does not follow the one before it (a record was removed, inserted or reordered)', auditID);
      if (rec.kind === CHECKPOINT_KIND) {
        if (key) {
          if (rec.keyID !== keyID) return at(`checkpoint signed by another key (${String(rec.keyID)})`);
          if (!checkpointValid(key, rec as Checkpoint)) return at('checkpoint signature is not valid: the records before it were rewritten');
        }
        res.checkpoints++;
        res.unsigned = 0;
      } else {
        res.records++;
        res.unsigned++;
      }
      prev = claimed;
    }
  }
  return res;
}

/** Whether the record after a non-record line names that line's hash as its predecessor. */
function nextChainsOnto(next: string | undefined, line: string): boolean {
  if (next === undefined) return false;
  try {
    return (JSON.parse(next) as { annotations?: Record<string, string> }).annotations?.[PREV_HASH] === sha256hex(line);
  } catch {
    return false;
  }
}
