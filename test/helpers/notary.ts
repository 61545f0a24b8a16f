/**
 * Debian's notary-server on 127.0.0.1 for tests: memory storage, the local trust service (it
 * signs timestamps with ED25519 keys it keeps in memory, so no notary-signer), TLS with a
 * certificate from the project's PKI. `NotaryCli` drives the real `notary` client against it with
 * its own trust dir and the NOTARY_*_PASSPHRASE variables, so tests publish trust data exactly as
 * users do (init, add, publish, delegations, key rotation).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, get as httpsGet, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isImagePolicyError, type ReasonCode } from '../../src/image-policy/errors.ts';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { requireBinaries } from './real-parts.ts';
import { freePort } from './free-port.ts';

/** Skip message (or false) for tests that need notary-server and the notary client. */
export function notarySkip(): string | false {
  return requireBinaries('notary', 'notary-server', 'notary');
}

export interface Tls {
  caPem: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

/** A CA and a 127.0.0.1/localhost serving certificate, written into `dir`. */
export function makeTls(dir: string): Tls {
  const now = new Date();
  const ca = createCA({ commonName: 'notary-test-ca', now, validityDays: 2 });
  const leaf = issueCert(ca, { commonName: 'notary-server', usage: 'server', now, validityDays: 2 });
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  writeFileSync(certPath, leaf.certPem);
  writeFileSync(keyPath, leaf.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  return { caPem: ca.certPem, certPath, keyPath, certPem: leaf.certPem, keyPem: leaf.keyPem };
}

export interface NotaryServer {
  url: string;
  tls: Tls;
  dir: string;
  stop(): Promise<void>;
}

export async function startNotaryServer(): Promise<NotaryServer> {
  const dir = mkdtempSync(join(tmpdir(), 'notary-server-'));
  const tls = makeTls(dir);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'server.json');
    writeFileSync(config, JSON.stringify({
      server: { http_addr: `127.0.0.1:${port}`, tls_cert_file: tls.certPath, tls_key_file: tls.keyPath },
      trust_service: { type: 'local' },
      storage: { backend: 'memory' },
      logging: { level: 'error' },
    }));
    const child = spawn('notary-server', ['-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const url = `https://127.0.0.1:${port}`;
    if (await healthy(url, tls.caPem, child)) {
      return { url, tls, dir, stop: () => stopChild(child, exited).then(() => rmSync(dir, { recursive: true, force: true })) };
    }
    await stopChild(child, exited);
    // Another process may have taken the port between our probe and notary-server's listen.
    if (attempt >= 2) throw new Error(`notary-server did not start: ${err}`);
  }
}

async function healthy(url: string, caPem: string, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const req = httpsGet(`${url}/_notary_server/health`, { ca: caPem }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null) child.kill('SIGTERM');
  await exited;
}

export const PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'root-passphrase',
  NOTARY_TARGETS_PASSPHRASE: 'targets-passphrase',
  NOTARY_SNAPSHOT_PASSPHRASE: 'snapshot-passphrase',
  NOTARY_DELEGATION_PASSPHRASE: 'delegation-passphrase',
};

/** The real notary client with its own trust dir (one per test: its own root key). */
export class NotaryCli {
  readonly trustDir: string;
  readonly #config: string;

  constructor(server: NotaryServer) {
    this.trustDir = mkdtempSync(join(tmpdir(), 'notary-trust-'));
    this.#config = join(this.trustDir, 'config.json');
    writeFileSync(join(this.trustDir, 'ca.crt'), server.tls.caPem);
    writeFileSync(this.#config, JSON.stringify({ trust_dir: this.trustDir, remote_server: { url: server.url, root_ca: join(this.trustDir, 'ca.crt') } }));
  }

  run(...args: string[]): Promise<string> {
    return this.runWithInput('', ...args);
  }

  /** For commands that ask for confirmation on stdin (`key rotate GUN root` wants "yes"). */
  runWithInput(input: string, ...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile('notary', ['-c', this.#config, ...args], { env: { ...process.env, ...PASSPHRASES }, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`notary ${args.join(' ')} failed: ${stderr || err.message}`));
        else resolve(stdout + stderr);
      });
      // A command that fails at once (e.g. publishing outside a role's paths) may exit before it
      // reads stdin: the EPIPE that gives is not the outcome, its exit status is.
      child.stdin!.on('error', () => {});
      child.stdin!.end(input);
    });
  }

  /** Writes `content` as a file whose sha256 plays the image manifest digest, and stages it as `tag`. */
  async add(gun: string, tag: string, content: string, roles?: string[]): Promise<void> {
    const file = join(this.trustDir, `target-${tag.replace(/[^A-Za-z0-9]/g, '_')}`);
    writeFileSync(file, content);
    await this.run('add', gun, tag, file, ...(roles ? ['--roles', roles.join(',')] : []));
  }

  /** The root key's ID as `notary key list` prints it (the public key's canonical ID). */
  async rootKeyId(): Promise<string> {
    const ids = await this.rootKeyIds();
    if (ids.length !== 1) throw new Error(`expected one root key, found ${ids.length}`);
    return ids[0]!;
  }

  /** Every root key in the trust dir (a root rotation keeps the old one). */
  async rootKeyIds(): Promise<string[]> {
    const out = await this.run('key', 'list');
    return [...out.matchAll(/^\s*root\s+(?:\S+\s+)?([0-9a-f]{64})/gm)].map((m) => m[1]!);
  }

  cleanup(): void {
    rmSync(this.trustDir, { recursive: true, force: true });
  }
}

/**
 * An HTTPS server answering fixed bodies by path (404 otherwise): replays saved metadata. With
 * `token`, it behaves as notary-server with token auth: 401 and a Bearer challenge whose realm
 * (/token on the same server) hands out that token; `seen` records the Authorization headers.
 */
export async function startReplayServer(tls: Tls, bodies: Map<string, Buffer>, token?: string): Promise<{ url: string; server: Server; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    seen.push(req.headers.authorization ?? '');
    if (token !== undefined && req.url?.startsWith('/token?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ token, expires_in: 300 }));
    }
    if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="https://${req.headers.host}/token",service="notary-server"` });
      return res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    const body = bodies.get(req.url ?? '');
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, server, seen, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/**
 * The metadata a client would fetch for `gun` right now (root, timestamp, and the snapshot,
 * targets and delegations by their signed hashes), keyed by request path: saved to be replayed.
 */
export async function saveMetadata(server: NotaryServer, gun: string): Promise<Map<string, Buffer>> {
  const base = `/v2/${gun}/_trust/tuf/`;
  const out = new Map<string, Buffer>();
  const get = async (name: string): Promise<Buffer> => {
    const body = await new Promise<Buffer>((resolve, reject) => {
      httpsGet(`${server.url}${base}${name}.json`, { ca: server.tls.caPem }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${name}: HTTP ${res.statusCode}`))));
      }).on('error', reject);
    });
    out.set(`${base}${name}.json`, body);
    return body;
  };
  const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
  await get('root');
  const ts = JSON.parse((await get('timestamp')).toString()) as { signed: { meta: { snapshot: { hashes: { sha256: string } } } } };
  const snap = JSON.parse((await get(`snapshot.${hex(ts.signed.meta.snapshot.hashes.sha256)}`)).toString()) as { signed: { meta: Record<string, { hashes: { sha256: string } }> } };
  for (const [role, meta] of Object.entries(snap.signed.meta)) {
    if (role !== 'root') await get(`${role}.${hex(meta.hashes.sha256)}`);
  }
  return out;
}

/** `sha256:<hex>` of a string: the digest a target file's content stands for. */
export const digestOf = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** An assert.rejects validator: an ImagePolicyError with this reason code (and text). */
export function reason(code: ReasonCode, text?: RegExp): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(isImagePolicyError(err), `expected an ImagePolicyError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (text) assert.match(err.message, text);
    return true;
  };
}
