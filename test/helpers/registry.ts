/**
 * Debian's `docker-registry` (distribution v2) on 127.0.0.1 with a temporary config and storage:
 * plain HTTP, or TLS with a generated CA and htpasswd basic auth. Stopped and removed by stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import bcrypt from 'bcryptjs';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { findBinary, requireBinaries } from './real-parts.ts';
import assert from 'node:assert/strict';
import { ImagePolicyError, type ReasonCode } from '../../src/image-policy/errors.ts';
import { freePort } from './free-port.ts';

export interface TestRegistry {
  /** host:port, the domain of image references. */
  host: string;
  /** The storage root (docker/registry/v2/...). */
  storageDir: string;
  /** The CA the TLS registry's certificate chains to. */
  caPem?: string;
  user?: { username: string; password: string };
  stop(): Promise<void>;
}

/** Skip message when docker-registry is not installed (a failure under PORTCULLIS_REQUIRE_ALL). */
export function registrySkip(): string | false {
  return requireBinaries('docker-registry', 'docker-registry');
}

function ping(url: string, caPem?: string): Promise<number> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...(caPem ? { ca: caPem } : {}), agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

export async function startRegistry(o: { tls?: boolean; username?: string; password?: string } = {}): Promise<TestRegistry> {
  const bin = findBinary('docker-registry');
  if (!bin) throw new Error('docker-registry is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-registry-'));
  const storageDir = join(dir, 'storage');
  const port = await freePort();
  let tlsYaml = '';
  let authYaml = '';
  let caPem: string | undefined;
  let user: TestRegistry['user'];
  if (o.tls) {
    const now = new Date();
    const ca = createCA({ commonName: 'test-registry-ca', now, validityDays: 1 });
    const leaf = issueCert(ca, { commonName: '127.0.0.1', usage: 'server', now, validityDays: 1 });
    writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
    writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
    caPem = ca.certPem;
    tlsYaml = `  tls:\n    certificate: ${join(dir, 'tls.crt')}\n    key: ${join(dir, 'tls.key')}\n`;
    user = { username: o.username ?? 'alice', password: o.password ?? 'correct horse' };
    // Distribution's htpasswd reads bcrypt hashes only.
    writeFileSync(join(dir, 'htpasswd'), `${user.username}:${bcrypt.hashSync(user.password, 4)}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    // As Debian's default config: blob descriptors cached in memory (contents are always read).
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: portcullis-test',
    tlsYaml.trimEnd(),
    authYaml.trimEnd(),
  ].filter(Boolean).join('\n');
  writeFileSync(join(dir, 'config.yml'), `${config}\n`);
  const child: ChildProcess = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));
  const host = `127.0.0.1:${port}`;
  const url = `${o.tls ? 'https' : 'http'}://${host}/v2/`;
  for (let i = 0; ; i++) {
    const status = await ping(url, caPem);
    if (status === 200 || status === 401) break;
    if (dead || i > 100) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    storageDir,
    ...(caPem ? { caPem } : {}),
    ...(user ? { user } : {}),
    async stop() {
      if (!dead) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where the registry keeps a blob's bytes (distribution's filesystem layout). */
export function registryBlobPath(r: TestRegistry, digest: string): string {
  const [alg, hex] = digest.split(':') as [string, string];
  return join(r.storageDir, 'docker', 'registry', 'v2', 'blobs', alg, hex.slice(0, 2), hex, 'data');
}

/** An assert.rejects predicate: an ImagePolicyError with this reason code. */
export function reasonCode(c: ReasonCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ImagePolicyError, `expected ImagePolicyError ${c}, got ${String(err)}`);
    assert.equal(err.code, c, err.message);
    return true;
  };
}
