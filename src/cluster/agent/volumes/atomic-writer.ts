/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files live in a
 * timestamped directory `..<timestamp>`; the symlink `..data` points at the current one and each
 * user-visible top-level entry is a symlink through `..data`. An update writes a new timestamped
 * directory, then renames a fresh `..data_tmp` symlink over `..data` (one atomic rename), so a
 * reader in the container sees either the old set of files or the new one, never a mix. Nothing is
 * written when the payload equals what is there.
 */
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** Permission bits (e.g. 0o644). */
  mode: number;
  /** Owner uid of the file (a projected token for a pod whose containers all run as one non-root user). */
  fsUser?: number;
}

/** Relative path → content. */
export type Payload = Map<string, FileProjection>;

export class PayloadError extends Error {}

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';
const MAX_PATH = 4096;
const MAX_SEGMENT = 255;

/** validatePath: relative, no `..` element, not starting with `..`, within the length limits. */
export function validatePayloadPath(p: string): void {
  if (p.length === 0) throw new PayloadError('invalid path: must not be empty');
  if (p.length > MAX_PATH) throw new PayloadError(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  if (posix.isAbsolute(p)) throw new PayloadError('invalid path: must be relative path');
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new PayloadError("invalid path: must not contain '..'");
    if (item.length > MAX_SEGMENT) throw new PayloadError(`invalid path: must not contain path segments longer than ${MAX_SEGMENT} characters`);
  }
  if (p.startsWith('..')) throw new PayloadError("invalid path: must not start with '..'");
}

/** Go's time format "..2006_01_02_15_04_05." as the prefix of the new directory. */
function tsPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function readlinkOr(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch {
    return undefined;
  }
}

/** Whether the timestamped directory holds exactly the payload (same bytes and modes). */
async function sameAsCurrent(tsDir: string, payload: Payload): Promise<boolean> {
  const have = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(tsDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else have.add(r);
    }
  };
  try {
    await walk('');
  } catch {
    return false;
  }
  if (have.size !== payload.size) return false;
  for (const [p, f] of payload) {
    if (!have.has(p)) return false;
    const st = await lstat(join(tsDir, p));
    if ((st.mode & 0o7777) !== f.mode || (f.fsUser !== undefined && st.uid !== f.fsUser)) return false;
    if (!(await readFile(join(tsDir, p))).equals(f.data)) return false;
  }
  return true;
}

export interface WriteOptions {
  now?: () => Date;
  /** Applied to the new timestamped directory before it becomes visible (fsGroup ownership). */
  setPerms?: (tsDir: string) => Promise<void>;
}

/** Writes the payload into target atomically; returns whether anything changed. */
/**
 * validatePayload: each path validated as written, then kept cleaned (path.Clean), as upstream's
 * atomic writer. A path that cleans to '.' or to a name starting with '..' ('./..data') is refused:
 * written as given, './x' made '.' a top-level entry, so the volume directory itself was removed
 * and replaced by a symlink.
 */
function cleanPayload(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [p, f] of payload) {
    validatePayloadPath(p);
    const clean = posix.normalize(p).replace(/\/+$/, '');
    if (clean === '.' || clean === '') throw new PayloadError('invalid path: must not name the volume directory itself');
    validatePayloadPath(clean);
    out.set(clean, f);
  }
  return out;
}

export async function writeAtomically(target: string, given: Payload, o: WriteOptions = {}): Promise<boolean> {
  const payload = cleanPayload(given);
  const oldTs = await readlinkOr(join(target, DATA_DIR));
  if (oldTs && (await sameAsCurrent(join(target, oldTs), payload))) return false;

  const tsDir = await mkdtemp(join(target, tsPrefix((o.now ?? (() => new Date()))())));
  await chmod(tsDir, 0o755);
  try {
    for (const [p, f] of payload) {
      const file = join(tsDir, p);
      await mkdir(dirname(file), { recursive: true, mode: 0o755 });
      await writeFile(file, f.data, { mode: f.mode });
      // writeFile's mode is masked by the umask; the payload's mode is exact.
      await chmod(file, f.mode);
      if (f.fsUser !== undefined) await chown(file, f.fsUser, -1);
    }
    await o.setPerms?.(tsDir);
  } catch (err) {
    await rm(tsDir, { recursive: true, force: true });
    throw err;
  }

  // The user-visible entries: one symlink per top-level name, through ..data.
  const wanted = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of wanted) {
    const link = join(target, name);
    const cur = await readlinkOr(link);
    if (cur === posix.join(DATA_DIR, name)) continue;
    if (cur === undefined) await rm(link, { recursive: true, force: true });
    else await rm(link, { force: true });
    await symlink(posix.join(DATA_DIR, name), link);
  }

  const tmp = join(target, DATA_TMP);
  await rm(tmp, { force: true });
  await symlink(posix.basename(tsDir), tmp);
  await rename(tmp, join(target, DATA_DIR));

  // Entries of the old payload that the new one no longer has, then the old directory.
  for (const e of await readdir(target)) {
    if (e.startsWith('..') || wanted.has(e)) continue;
    const link = join(target, e);
    if ((await readlinkOr(link))?.startsWith(`${DATA_DIR}/`)) await rm(link, { force: true });
  }
  if (oldTs && oldTs !== posix.basename(tsDir) && oldTs.startsWith('..') && !oldTs.includes('/')) await rm(join(target, oldTs), { recursive: true, force: true });
  return true;
}
