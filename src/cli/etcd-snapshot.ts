/**
 * `portcullis snapshot` against etcd (--etcd-servers), as etcdctl does it:
 * - save: etcd's Maintenance.Snapshot stream (a member's whole backend at one revision, with the
 *   SHA-256 etcd appends) written to FILE.part, synced, then renamed into place (0600), so FILE is
 *   a whole snapshot or absent; then checked with `etcdctl snapshot status` when it is installed.
 * - restore: a new etcd data directory from a snapshot, by Debian's etcdutl (etcd 3.5+) or etcdctl
 *   (3.4) `snapshot restore`, with the member's --name and cluster flags passed through (the hash
 *   is checked); never over an existing directory.
 * - status: the snapshot's hash, revision, key count and size (`etcdctl snapshot status -w json`).
 * A snapshot is an etcd snapshot unless it starts with SQLite's header (snapshot.ts handles those).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Etcd3 } from 'etcd3';
import { PRIVATE_FILE_MODE } from '../storage/data-dir.ts';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Whether a snapshot file is SQLite's (a Portcullis store) rather than etcd's (a bolt database). */
export function isSqliteSnapshot(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}

export interface EtcdSnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** The etcd tool that restores snapshots: etcdutl where etcd ships it (3.5+), else etcdctl. */
function tool(names: string[]): string {
  for (const n of names) {
    for (const dir of (process.env.PATH ?? '/usr/bin').split(':')) if (dir && existsSync(`${dir}/${n}`)) return `${dir}/${n}`;
  }
  throw new Error(`${names.join(' or ')} is not installed (Debian packages etcd-client / etcd-server)`);
}

function run(bin: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${bin} ${args[0]} ${args[1]}: ${err.trim() || `exit ${code}`}`))));
  });
}

export async function etcdSnapshotStatus(file: string): Promise<EtcdSnapshotStatus> {
  const out = await run(tool(['etcdutl', 'etcdctl']), ['snapshot', 'status', file, '-w', 'json']);
  return JSON.parse(out) as EtcdSnapshotStatus;
}

/** Streams a member's snapshot into `file`; resolves with the revision it was taken at and its size. */
export async function saveEtcdSnapshot(client: Etcd3, file: string): Promise<{ revision: number; bytes: number }> {
  const part = `${file}.part`;
  rmSync(part, { force: true });
  const fd = openSync(part, 'wx', PRIVATE_FILE_MODE);
  let bytes = 0;
  let revision = 0;
  try {
    const stream = await client.maintenance.snapshot();
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk) => {
        if (revision === 0) revision = Number(chunk.header?.revision ?? 0); // the first header is the snapshot's point in time
        writeSync(fd, chunk.blob);
        bytes += chunk.blob.length;
      });
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    if (bytes === 0) throw new Error('etcd sent an empty snapshot');
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(part, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(part, file);
  return { revision, bytes };
}

export interface EtcdRestoreOptions {
  name?: string;
  initialCluster?: string;
  initialClusterToken?: string;
  initialAdvertisePeerUrls?: string;
}

/** A new etcd data directory holding the snapshot (etcdutl / etcdctl snapshot restore). */
export async function restoreEtcdSnapshot(file: string, dataDir: string, o: EtcdRestoreOptions = {}): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new Error(`data directory ${dataDir} is not empty: restore into a new directory`);
  // etcd refuses to restore into a directory that exists (even empty).
  if (existsSync(dataDir)) rmSync(dataDir, { recursive: true });
  const args = ['snapshot', 'restore', file, `--data-dir=${dataDir}`];
  if (o.name) args.push(`--name=${o.name}`);
  if (o.initialCluster) args.push(`--initial-cluster=${o.initialCluster}`);
  if (o.initialClusterToken) args.push(`--initial-cluster-token=${o.initialClusterToken}`);
  if (o.initialAdvertisePeerUrls) args.push(`--initial-advertise-peer-urls=${o.initialAdvertisePeerUrls}`);
  await run(tool(['etcdutl', 'etcdctl']), args);
}
