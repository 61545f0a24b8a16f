/**
 * The data directory holds the cluster CA's key as well as the store: a directory that group or
 * others can write is refused before anything is read from or written into it, on either store.
 * The check lived only in the SQLite store's open, so `portcullis up` made (or loaded: a CA planted
 * by whoever can write the directory) the cluster CA there before refusing, and on etcd
 * (`--etcd-servers`, `portcullis apiserver`) it never ran at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane } from '../../src/server/control-plane.ts';
import { withTempDir } from '../helpers/temp-dir.ts';

const withDir = (fn: (dir: string) => Promise<void>) => withTempDir('portcullis-datadir-', (root) => fn(join(root, 'data')));

const refused = (dir: string, mode: number) => (err: Error) =>
  err.name === 'DataDirError' && err.message.includes(dir) && err.message.includes(`0${mode.toString(8)}`) && /refusing to start/.test(err.message);

for (const store of ['sqlite', 'etcd'] as const) {
  test(`${store}: a group- or world-writable data directory is refused before the cluster CA is made or read`, () =>
    withDir(async (dir) => {
      mkdirSync(dir);
      for (const mode of [0o770, 0o757]) {
        chmodSync(dir, mode);
        await assert.rejects(
          startControlPlane({
            dataDir: dir,
            port: 0,
            bindAddress: '127.0.0.1',
            logger: pino({ level: 'silent' }),
            controllers: [],
            scheduler: false,
            // Nothing listens there: the refusal must come before any connection is tried.
            ...(store === 'etcd' ? { etcd: { servers: ['http://127.0.0.1:9'] } } : {}),
          }),
          refused(dir, mode),
        );
        assert.equal(existsSync(join(dir, 'pki')), false, 'no PKI written into the refused directory');
        assert.equal(existsSync(join(dir, 'state.db')), false);
      }
    }));
}
