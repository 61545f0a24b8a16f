/**
 * `portcullis snapshot save|restore|status`: backups of the embedded store, as etcdctl snapshot save
 * and etcdutl snapshot restore are for etcd.
 *
 * save copies the data directory's state.db with SQLite's online backup API (better-sqlite3
 * db.backup(): a consistent copy, write-ahead log included) into FILE.part, checks the copy and
 * renames it into place, so FILE is either a whole snapshot or absent. The server opens its store
 * exclusively (a second writer would fork the revision counter), so while a server runs on the
 * data directory the copy is taken by that server and streamed over the directory's private
 * socket (server/snapshot-socket.ts); the CLI opens state.db itself only when no server answers.
 *
 * restore checks the snapshot and writes it as state.db of a data directory that has no store yet
 * (never over one: etcdutl refuses an existing data dir too). The snapshot holds the store only:
 * the new directory gets fresh PKI on its first start unless the old one's files are copied in,
 * and encrypted values need the same --encryption-provider-config. Keys that expire (Events under
 * --event-ttl) start their TTL again from the restore, as etcd's leases start theirs again when a
 * restored member is promoted: the expiries are wall-clock times, and an old snapshot's would all
 * have passed (sqlite-ttl.ts refreshExpiries).
 *
 * With --etcd-servers, save takes etcd's snapshot instead, and restore/status recognise an etcd
 * snapshot by its content (etcd-snapshot.ts).
 */
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { flag, parseCommand } from './args.ts';
import { checkDataDir, PRIVATE_FILE_MODE } from '../storage/data-dir.ts';
import { createMaintenanceClient } from '../storage/etcd/maintenance-client.ts';
import { etcdFromFlags } from './etcd-flags.ts';
import { fetchSnapshot } from '../server/snapshot-socket.ts';
import { etcdSnapshotStatus, isSqliteSnapshot, restoreEtcdSnapshot, saveEtcdSnapshot } from './etcd-snapshot.ts';
import { refreshExpiries } from '../storage/sqlite-ttl.ts';

/**
 * The TTL a restored expiry gets when its row does not say (written by a build before the TTL was
 * kept with it, which only Events had): kube-apiserver's default --event-ttl.
 */
const UNKNOWN_TTL_SECONDS = 3600;

const USAGE = `usage: portcullis snapshot save FILE [--data-dir ./.portcullis]
       portcullis snapshot save FILE --etcd-servers URLS [--etcd-cafile F --etcd-certfile F --etcd-keyfile F]
       portcullis snapshot restore FILE --data-dir NEW-DIR
           (an etcd snapshot: NEW-DIR is the new etcd data directory; also --name, --initial-cluster,
            --initial-cluster-token, --initial-advertise-peer-urls as etcdutl snapshot restore)
       portcullis snapshot status FILE
`;

const ETCD_SAVE_FLAGS = ['etcd-servers', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile'];
const ETCD_RESTORE_FLAGS = ['name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls'];

export interface SnapshotStatus {
  revision: number;
  compacted: number;
  /** Live keys at the snapshot's revision. */
  keys: number;
  bytes: number;
}

/** Opens a snapshot (or store) read-only and checks it is a whole Portcullis store. */
export function snapshotStatus(file: string): SnapshotStatus {
  if (!existsSync(file)) throw new Error(`snapshot ${file} does not exist`);
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`snapshot ${file} is damaged: integrity_check: ${String(check)}`);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    for (const t of ['log', 'current', 'meta']) if (!tables.has(t)) throw new Error(`${file} is not a Portcullis store snapshot (no ${t} table)`);
    const meta = (name: string) => (db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number } | undefined)?.value ?? 0;
    const keys = (db.prepare('SELECT COUNT(*) AS n FROM current').get() as { n: number }).n;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return { revision: meta('revision'), compacted: meta('compacted'), keys, bytes: pages * pageSize };
  } finally {
    db.close();
  }
}

function openStoreForBackup(dataDir: string): Database.Database {
  const path = join(dataDir, 'state.db');
  if (!existsSync(path)) throw new Error(`data directory ${dataDir} holds no store (no state.db)`);
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
  try {
    // The first read takes the lock: a running server holds it exclusively.
    db.prepare('SELECT COUNT(*) FROM meta').get();
  } catch (err) {
    db.close();
    // A server that holds the lock but offers no socket (its data directory path is too long for one).
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new Error(`the store in ${dataDir} is in use and its server offers no snapshot socket: stop the server that runs on it, then save the snapshot`);
    throw err;
  }
  return db;
}

export async function saveSnapshot(dataDir: string, file: string): Promise<SnapshotStatus> {
  const part = `${file}.part`;
  rmSync(part, { force: true });
  try {
    if (!(await fetchSnapshot(dataDir, part))) {
      const db = openStoreForBackup(dataDir);
      try {
        await db.backup(part);
      } finally {
        db.close();
      }
    }
    chmodSync(part, PRIVATE_FILE_MODE);
    const status = snapshotStatus(part);
    renameSync(part, file);
    return status;
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
}

export async function restoreSnapshot(file: string, dataDir: string, now: () => number = Date.now): Promise<SnapshotStatus> {
  const status = snapshotStatus(file);
  const target = join(dataDir, 'state.db');
  if (existsSync(target)) throw new Error(`data directory ${dataDir} already holds a store (state.db): restore into a new directory`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  checkDataDir(dataDir);
  const src = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
  const part = `${target}.part`;
  try {
    await src.backup(part);
  } finally {
    src.close();
  }
  const copy = new Database(part, { fileMustExist: true, timeout: 0 });
  try {
    refreshExpiries(copy, now(), UNKNOWN_TTL_SECONDS);
  } finally {
    // The last connection closing checkpoints its write-ahead log into the file and removes it.
    copy.close();
  }
  chmodSync(part, PRIVATE_FILE_MODE);
  renameSync(part, target);
  return status;
}

const describe = (s: SnapshotStatus) => `revision ${s.revision}, compacted ${s.compacted}, ${s.keys} keys, ${s.bytes} bytes`;

export async function runSnapshot(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'save' && sub !== 'restore' && sub !== 'status') {
    out(USAGE);
    return sub === 'help' || sub === '--help' ? 0 : 2;
  }
  const flags = sub === 'status' ? [] : sub === 'save' ? ['data-dir', ...ETCD_SAVE_FLAGS] : ['data-dir', ...ETCD_RESTORE_FLAGS];
  const args = parseCommand(rest, { name: `snapshot ${sub}`, flags, maxPositional: 1 });
  const file = args.positional[0];
  if (!file) throw new Error(`snapshot ${sub}: the snapshot file is required\n${USAGE}`);
  const etcdFile = sub !== 'save' && existsSync(file) && !isSqliteSnapshot(file);
  if (sub === 'status') {
    if (etcdFile) {
      const s = await etcdSnapshotStatus(file);
      out(`etcd snapshot: hash ${s.hash}, revision ${s.revision}, ${s.totalKey} keys, ${s.totalSize} bytes\n`);
    } else out(`${describe(snapshotStatus(file))}\n`);
    return 0;
  }
  const etcd = sub === 'save' ? etcdFromFlags(args) : undefined;
  if (etcd) {
    if (args.flags.has('data-dir')) throw new Error('snapshot save: --data-dir and --etcd-servers go separately (an etcd snapshot is taken from etcd)');
    const client = createMaintenanceClient(etcd);
    try {
      const s = await saveEtcdSnapshot(client, file);
      // etcd 3.4 leaves the stream's header empty: the snapshot's own status says its revision
      // (and reading it checks the file), when etcdutl/etcdctl is installed.
      const checked = await etcdSnapshotStatus(file).catch((err: Error) => {
        if (/is not installed/.test(err.message)) return undefined;
        throw err;
      });
      out(`Snapshot saved at ${file} (etcd revision ${checked?.revision ?? s.revision}, ${s.bytes} bytes)\n`);
    } finally {
      client.close();
    }
    return 0;
  }
  if (sub === 'save') {
    const s = await saveSnapshot(resolve(flag(args, 'data-dir', './.portcullis')), file);
    out(`Snapshot saved at ${file} (${describe(s)})\n`);
    return 0;
  }
  const dir = flag(args, 'data-dir', '');
  if (!dir) throw new Error('snapshot restore: --data-dir is required (a new directory)');
  if (etcdFile) {
    const str = (name: string) => flag(args, name, '') || undefined;
    await restoreEtcdSnapshot(file, resolve(dir), { name: str('name'), initialCluster: str('initial-cluster'), initialClusterToken: str('initial-cluster-token'), initialAdvertisePeerUrls: str('initial-advertise-peer-urls') });
    out(`Restored etcd snapshot ${file} into ${dir} (start etcd with --data-dir ${dir})\n`);
    return 0;
  }
  const stray = ETCD_RESTORE_FLAGS.filter((f) => args.flags.has(f));
  if (stray.length > 0) throw new Error(`snapshot restore: --${stray[0]} is for etcd snapshots; ${file} is a Portcullis store snapshot`);
  const s = await restoreSnapshot(file, resolve(dir));
  out(`Restored ${file} into ${dir} (${describe(s)})\n`);
  return 0;
}
