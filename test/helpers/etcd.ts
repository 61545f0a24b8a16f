/**
 * Debian's etcd (/usr/bin/etcd, 3.4) for tests: one member, or a three-member cluster, on
 * 127.0.0.1 with free ports and temporary data directories. A member can be killed (SIGKILL) and
 * started again on its own data; stop() ends every member and removes the directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA } from '../../src/pki/ca.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { findBinary, requireBinaries } from './real-parts.ts';
import { freePort } from './free-port.ts';

/** Skip message when etcd is not installed (a failure under PORTCULLIS_REQUIRE_ALL). */
export function etcdSkip(): string | false {
  return requireBinaries('etcd-server', 'etcd');
}

/** PEM files of a TLS etcd: its CA, and a client certificate it accepts. */
export interface EtcdTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

interface TlsMaterial {
  files: EtcdTls;
  serverCertFile: string;
  serverKeyFile: string;
  pem: { ca: string; cert: string; key: string };
}

function makeTls(dir: string): TlsMaterial {
  const now = new Date();
  const ca = createCA({ commonName: 'etcd-test-ca', now, validityDays: 1 });
  const server = issueCert(ca, { commonName: 'etcd', usage: 'server', now, validityDays: 1 });
  const client = issueCert(ca, { commonName: 'portcullis-apiserver', usage: 'client', now, validityDays: 1 });
  const write = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  return {
    files: { caFile: write('ca.pem', ca.certPem), certFile: write('client.pem', client.certPem), keyFile: write('client-key.pem', client.keyPem) },
    serverCertFile: write('server.pem', server.certPem),
    serverKeyFile: write('server-key.pem', server.keyPem),
    pem: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
  };
}

/** etcd's /health answers {"health":"true"} once the member has a leader and serves. */
function healthy(clientUrl: string, tls?: TlsMaterial): Promise<boolean> {
  return new Promise((resolve) => {
    const options = { agent: false, timeout: 1000, ...(tls ? { ca: tls.pem.ca, cert: tls.pem.cert, key: tls.pem.key, servername: 'localhost' } : {}) };
    const req = (tls ? https : http).get(`${clientUrl}/health`, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process?: ChildProcess;
  /** SIGKILL the member and wait for it to be gone. */
  kill(): Promise<void>;
  /** Start it again on its data directory. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL. */
  servers: string[];
  /** With startEtcd(n, { tls: true }): the client URLs are https and need this client certificate. */
  tls?: EtcdTls;
  stop(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string, tls?: TlsMaterial): Promise<void> {
  // A bound on attempts, not a clock in the assertion: etcd elects within a few hundred ms.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited while starting: ${output()}`);
    if (await healthy(url, tls)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} did not become healthy: ${output()}`);
}

/**
 * Start `size` members (1 or 3) forming one cluster. With `tls`, clients reach them over HTTPS
 * and must show a certificate from the test CA (--client-cert-auth); peers talk plain HTTP.
 */
export async function startEtcd(size = 1, o: { tls?: boolean } = {}): Promise<EtcdCluster> {
  const bin = findBinary('etcd');
  if (!bin) throw new Error('etcd is not installed');
  const root = mkdtempSync(join(tmpdir(), 'portcullis-etcd-'));
  const tls = o.tls ? makeTls(root) : undefined;
  const token = `portcullis-test-${process.pid}-${root.slice(-6)}`;
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(root, `m${i}`),
      kill: async () => undefined,
      restart: async () => undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const launch = (m: EtcdMember, state: 'new' | 'existing'): { child: ChildProcess; output: () => string } => {
    let out = '';
    const child = spawn(
      bin,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        `--initial-cluster-token=${token}`,
        ...(tls ? [`--cert-file=${tls.serverCertFile}`, `--key-file=${tls.serverKeyFile}`, `--trusted-ca-file=${tls.files.caFile}`, '--client-cert-auth'] : []),
        '--logger=zap',
        '--log-level=error',
        // Small, quick elections on loopback (the defaults are tuned for real networks).
        '--heartbeat-interval=50',
        '--election-timeout=500',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (c: string) => (out = (out + c).slice(-4000)));
    m.process = child;
    return { child, output: () => out };
  };
  for (const m of members) {
    m.kill = async () => {
      const p = m.process;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGKILL');
      await gone;
    };
    m.restart = async () => {
      const { child, output } = launch(m, 'existing');
      await waitHealthy(m.clientUrl, child, output, tls);
    };
  }
  const started = members.map((m) => ({ m, ...launch(m, 'new') }));
  const stop = async () => {
    await Promise.all(members.map((m) => m.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(started.map(({ m, child, output }) => waitHealthy(m.clientUrl, child, output, tls)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, servers: members.map((m) => m.clientUrl), tls: tls?.files, stop };
}
