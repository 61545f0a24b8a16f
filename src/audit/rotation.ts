/**
 * Rotated file names and retention as lumberjack (which kube-apiserver's log backend uses):
 * `audit.log` rotates to `audit-2006-01-02T15-04-05.000.log` (UTC); backups past --audit-log-maxage
 * days or beyond the newest --audit-log-maxbackup are removed (0: keep all).
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

const STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/;

export function backupName(path: string, at: Date): string {
  const ext = extname(path);
  const prefix = basename(path).slice(0, basename(path).length - ext.length);
  const stamp = at.toISOString().replace(/:/g, '-').replace(/Z$/, '');
  return join(dirname(path), `${prefix}-${stamp}${ext}`);
}

/** The time in a backup's name, or undefined when the name is not a backup of `path`. */
export function backupTime(path: string, candidate: string): number | undefined {
  const ext = extname(path);
  const prefix = `${basename(path).slice(0, basename(path).length - ext.length)}-`;
  const name = basename(candidate);
  if (!name.startsWith(prefix) || !name.endsWith(ext)) return undefined;
  return stampTime(name.slice(prefix.length, name.length - ext.length));
}

function stampTime(stamp: string): number | undefined {
  const m = STAMP.exec(stamp);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(t) ? undefined : t;
}

/** Backups of `path` in its directory, oldest first. */
export function listBackups(path: string): Array<{ file: string; time: number }> {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  const out: Array<{ file: string; time: number }> = [];
  for (const n of names) {
    const file = join(dirname(path), n);
    const time = backupTime(path, file);
    if (time !== undefined) out.push({ file, time });
  }
  return out.sort((a, b) => a.time - b.time);
}

/** Removes backups beyond the retention (lumberjack's millRunOnce, without compression). */
export function pruneBackups(path: string, maxBackups: number, maxAgeDays: number, now: number): string[] {
  let backups = listBackups(path);
  const removed: string[] = [];
  if (maxBackups > 0 && backups.length > maxBackups) {
    for (const b of backups.slice(0, backups.length - maxBackups)) removed.push(b.file);
    backups = backups.slice(backups.length - maxBackups);
  }
  if (maxAgeDays > 0) {
    const cutoff = now - maxAgeDays * 24 * 3600 * 1000;
    for (const b of backups) if (b.time < cutoff) removed.push(b.file);
  }
  for (const f of removed) rmSync(f, { force: true });
  return removed;
}

/**
 * Files of one log in chain order: backups by the time in their names, then files whose names
 * carry no time (the current file). Files given in any order.
 */
export function sortLogFiles(files: readonly string[]): string[] {
  const keyed = files.map((f) => {
    const name = basename(f);
    const ext = extname(name);
    const stem = name.slice(0, name.length - ext.length);
    const m = /-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3})$/.exec(stem);
    return { f, t: m ? (stampTime(m[1]!) ?? Infinity) : Infinity };
  });
  return keyed.sort((a, b) => a.t - b.t).map((k) => k.f);
}
