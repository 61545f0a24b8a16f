/**
 * The hash chain of the audit log (tamper evidence). Each line is one JSON record whose
 * annotations end with two keys:
 *
 *   audit.portcullis.dev/prev-hash  the hash of the previous record (64 zeros for the first ever)
 *   audit.portcullis.dev/hash       sha256 of this line as it reads without this last key
 *
 * So changing any byte of a record breaks that record's own hash, and removing, inserting or
 * reordering records breaks the next record's prev-hash. A writer who recomputes every hash after
 * an edit is caught by the signed checkpoints: every so often a record of kind AuditCheckpoint
 * carries an ECDSA P-256 signature (the cluster's audit key) over the chain head (its prev-hash),
 * which commits to every record before it. Events keep upstream's audit.k8s.io/v1 shape; the
 * annotations are the only addition.
 */
import { hash as oneShotHash, sign, verify, type KeyObject } from 'node:crypto';
import type { AuditEvent } from './types.ts';

export const PREV_HASH = 'audit.portcullis.dev/prev-hash';
export const HASH = 'audit.portcullis.dev/hash';
export const GENESIS = '0'.repeat(64);
export const CHECKPOINT_KIND = 'AuditCheckpoint';
export const CHECKPOINT_API_VERSION = 'audit.portcullis.dev/v1';

const HASH_SUFFIX = /,"audit\.portcullis\.dev\/hash":"([0-9a-f]{64})"\}\}$/;

export interface Checkpoint {
  kind: typeof CHECKPOINT_KIND;
  apiVersion: typeof CHECKPOINT_API_VERSION;
  /** Records since the previous checkpoint. */
  records: number;
  timestamp: string;
  keyID: string;
  /** base64 DER ECDSA-SHA256 signature of checkpointMessage(). */
  signature: string;
  annotations: Record<string, string>;
}

export function sha256hex(s: string): string {
  // One call, no Hash object: this runs for every record.
  return oneShotHash('sha256', s, 'hex');
}

const PREV_HASH_KEY = JSON.stringify(PREV_HASH);
const HASH_KEY = JSON.stringify(HASH);

/** One chained line (no newline) and its hash. */
export function chainLine(record: AuditEvent | Omit<Checkpoint, 'annotations'>, prev: string): { line: string; hash: string } {
  return chainOpen(openRecord(record), prev);
}

/** Closes a record opened by openRecord with the chain's two annotations: the line and its hash. */
export function chainOpen(open: string, prev: string): { line: string; hash: string } {
  const body = `${open}${PREV_HASH_KEY}:"${prev}"}}`;
  const hash = sha256hex(body);
  return { line: `${body.slice(0, -2)},${HASH_KEY}:"${hash}"}}`, hash };
}

/**
 * The record's JSON up to where the chain's annotations go: `...,"annotations":{`, then its own
 * annotations and a comma when it has some. Serialised once, as it is, when its annotations are
 * absent or last (every record this package builds); otherwise they are moved last first. The
 * log backend makes this on the request's thread and chains it (chainOpen) on the writer's.
 */
export function openRecord(record: object): string {
  const own = (record as { annotations?: Record<string, string> }).annotations;
  if (own === undefined) return `${JSON.stringify(record).slice(0, -1)},"annotations":{`;
  const keys = Object.keys(record);
  let json: string;
  if (keys[keys.length - 1] === 'annotations') json = JSON.stringify(record);
  else {
    const { annotations: _moved, ...rest } = record as { annotations: Record<string, string> };
    json = JSON.stringify({ ...rest, annotations: own });
  }
  return Object.keys(own).length > 0 ? `${json.slice(0, -2)},` : json.slice(0, -2);
}

/** The hash a line claims, and whether its content really hashes to it. */
export function checkLine(line: string): { claimed?: string; intact: boolean } {
  const m = HASH_SUFFIX.exec(line);
  if (!m) return { intact: false };
  return { claimed: m[1]!, intact: sha256hex(`${line.slice(0, m.index)}}}`) === m[1] };
}

/** What a checkpoint signs: the chain head it covers, with its time and count. */
export function checkpointMessage(prev: string, timestamp: string, records: number): string {
  return `portcullis-audit-checkpoint/v1\n${prev}\n${timestamp}\n${records}`;
}

export function signCheckpoint(key: KeyObject, keyID: string, prev: string, timestamp: string, records: number): Omit<Checkpoint, 'annotations'> {
  const signature = sign('sha256', Buffer.from(checkpointMessage(prev, timestamp, records)), key).toString('base64');
  return { kind: CHECKPOINT_KIND, apiVersion: CHECKPOINT_API_VERSION, records, timestamp, keyID, signature };
}

export function checkpointValid(key: KeyObject, c: Checkpoint): boolean {
  const prev = c.annotations?.[PREV_HASH];
  if (typeof prev !== 'string' || typeof c.signature !== 'string' || typeof c.timestamp !== 'string' || typeof c.records !== 'number') return false;
  try {
    return verify('sha256', Buffer.from(checkpointMessage(prev, c.timestamp, c.records)), key, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}
