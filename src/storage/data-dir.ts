/**
 * The store's files are the whole cluster: every Secret, every token's backing object. Whoever
 * can write the data directory can swap state.db (or plant a WAL that SQLite replays), so a
 * directory writable by group or others is refused outright, and the files the store creates
 * are private to the server's user whatever the umask.
 */
import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** Throws DataDirError unless `dir` is a directory that neither group nor others can write. */
export function checkDataDir(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new DataDirError(`data directory ${dir} cannot be read: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) throw new DataDirError(`data directory ${dir} is not a directory`);
  if ((st.mode & 0o022) !== 0) {
    throw new DataDirError(
      `data directory ${dir} is writable by ${st.mode & 0o020 ? 'group' : 'others'} (mode ${octal(st.mode)}): refusing to start; ` +
        `make it private, e.g. chmod 700 ${dir}`,
    );
  }
}

/**
 * Creates `path` with mode 0600 if it does not exist, and takes group and other bits off it if
 * it does (a file left by an older build). Missing companions are left alone: SQLite creates
 * its -wal and -shm files with the mode of the database file, so they follow it.
 */
export function ensurePrivateFile(path: string, create: boolean): void {
  if (create) closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE));
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((st.mode & 0o077) !== 0) chmodSync(path, st.mode & 0o700);
}

/** Before SQLite opens `dbPath`: a safe directory, and the database and its journals private. */
export function prepareDatabaseFiles(dbPath: string): void {
  checkDataDir(dirname(dbPath));
  ensurePrivateFile(dbPath, true);
  for (const suffix of ['-wal', '-shm', '-journal']) ensurePrivateFile(dbPath + suffix, false);
}
