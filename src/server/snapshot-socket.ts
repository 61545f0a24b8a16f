/**
 * Online snapshots of the embedded store: `portcullis snapshot save --data-dir D` while a server
 * runs on D. The server holds state.db under SQLite's exclusive lock (a second writer would fork
 * the revision counter), so no other process can read it; the copy is taken by the server itself
 * (SqliteStore.backup, SQLite's online backup API on the serving connection) and streamed to the
 * CLI over a unix socket in the data directory, as etcd streams its snapshot to etcdctl.
 *
 * Why a socket in the data directory rather than an API endpoint: the snapshot holds every
 * object of the cluster, and the socket is reachable only by whoever can already read state.db
 * (it lives in a 0700 directory the server owns, checked at start), so it gives nobody anything
 * they could not copy off the disk with the server stopped; nothing new is exposed on the network,
 * and the CLI never opens the server's database (no migrations, no lock taken from the server).
 *
 * The protocol is HTTP/1.1 on the socket: GET /snapshot answers 200 with the whole database, or
 * an error status with a message. One snapshot at a time (the copy is a temporary file of the
 * database's size in the same private directory, removed when sent or abandoned).
 */
import { createServer, request, type Server } from 'node:http';
import { createReadStream, createWriteStream, fsyncSync, lstatSync, mkdirSync, chmodSync, openSync, closeSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { PRIVATE_FILE_MODE } from '../storage/data-dir.ts';

/** The directory of the socket (and of the temporary copy) inside a data directory. */
export const snapshotRunDir = (dataDir: string) => join(dataDir, 'run');
export const snapshotSocketPath = (dataDir: string) => join(snapshotRunDir(dataDir), 'snapshot.sock');

/** sockaddr_un.sun_path is 108 bytes on Linux, terminator included. */
const MAX_SOCKET_PATH = 107;

export interface SnapshotSource {
  /** A consistent copy of the store in `file` while it keeps serving. */
  backup(file: string): Promise<void>;
}

export interface SnapshotSocket {
  path: string;
  close(): Promise<void>;
}

/** A directory only this user can enter: created 0700, and refused when it is a link or someone else's. */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`${dir} belongs to uid ${st.uid}, not to this server`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/**
 * Serves snapshots of `source` on the data directory's socket. Call only while holding the
 * store's lock: a socket file left by a server that died is removed (nobody else can be serving
 * this store). Returns undefined, with a warning, when the path is too long for a unix socket.
 */
export async function serveSnapshots(dataDir: string, source: SnapshotSource, log: Logger): Promise<SnapshotSocket | undefined> {
  const dir = snapshotRunDir(dataDir);
  const path = snapshotSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    log.warn({ path }, 'the data directory path is too long for the snapshot socket: snapshot save needs the server stopped');
    return undefined;
  }
  privateDir(dir);
  rmSync(path, { force: true });
  let busy = false;
  const server: Server = createServer((req, res) => {
    const fail = (code: number, message: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(message);
    };
    if (req.url !== '/snapshot') return fail(404, 'not found');
    if (req.method !== 'GET') return fail(405, 'method not allowed');
    if (busy) return fail(409, 'a snapshot is already being taken');
    busy = true;
    const tmp = join(dir, `snapshot-${randomBytes(8).toString('hex')}.db.part`);
    void (async () => {
      try {
        closeSync(openSync(tmp, 'wx', PRIVATE_FILE_MODE));
        await source.backup(tmp);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(statSync(tmp).size) });
        await pipeline(createReadStream(tmp), res);
        log.info({ bytes: statSync(tmp).size }, 'snapshot sent');
      } catch (err) {
        log.warn({ err }, 'snapshot failed');
        if (!res.headersSent) fail(500, `snapshot failed: ${(err as Error).message}`);
        else res.destroy();
      } finally {
        rmSync(tmp, { force: true });
        busy = false;
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, PRIVATE_FILE_MODE);
  return {
    path,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(path, { force: true });
    },
  };
}

/**
 * Asks the server running on `dataDir` for a snapshot and writes it to `file` (fsynced).
 * Returns false, writing nothing, when no server answers on the socket (none running, or one
 * that died and left the socket file).
 */
export async function fetchSnapshot(dataDir: string, file: string): Promise<boolean> {
  const path = snapshotSocketPath(dataDir);
  let st;
  try {
    st = statSync(path);
  } catch {
    return false;
  }
  if (!st.isSocket()) return false;
  const res = await new Promise<import('node:http').IncomingMessage | undefined>((resolve, reject) => {
    const req = request({ socketPath: path, path: '/snapshot', method: 'GET' }, resolve);
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
    req.end();
  });
  if (!res) return false;
  if (res.statusCode !== 200) {
    let body = '';
    for await (const chunk of res) body += String(chunk);
    throw new Error(`the server on ${dataDir} could not take the snapshot (${res.statusCode}): ${body}`);
  }
  const expected = Number(res.headers['content-length']);
  const out: WriteStream = createWriteStream(file, { mode: PRIVATE_FILE_MODE, flags: 'wx' });
  await pipeline(res, out);
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const got = statSync(file).size;
  if (Number.isFinite(expected) && got !== expected) throw new Error(`the snapshot stream ended early (${got} of ${expected} bytes)`);
  return true;
}
