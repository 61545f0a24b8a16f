/**
 * Debian's etcd (/usr/bin/etcd, 3.4) for tests: one member, or a three-member cluster, on
 * 127.0.0.1 with free ports and temporary data directories. A member can be killed (SIGKILL) and
 * started again on its own data; stop() ends every member and removes the directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, requireBinaries } from './real-parts.ts';

/** Skip message when etcd is not installed (a failure under PORTCULLIS_REQUIRE_ALL). */
export function etcdSkip(): string | false {
  return requireBinaries('etcd-server', 'etcd');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** etcd's /health answers {"health":"true"} once the member has a leader and serves. */
function healthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { agent: false, timeout: 1000 }, (res) => {
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
  stop(): Promise<void>;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  // A bound on attempts, not a clock in the assertion: etcd elects within a few hundred ms.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited while starting: ${output()}`);
    if (await healthy(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} did not become healthy: ${output()}`);
}

/** Start `size` members (1 or 3) forming one cluster. */
export async function startEtcd(size = 1): Promise<EtcdCluster> {
  const bin = findBinary('etcd');
  if (!bin) throw new Error('etcd is not installed');
  const root = mkdtempSync(join(tmpdir(), 'portcullis-etcd-'));
  const token = `portcullis-test-${process.pid}-${root.slice(-6)}`;
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
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
      await waitHealthy(m.clientUrl, child, output);
    };
  }
  const started = members.map((m) => ({ m, ...launch(m, 'new') }));
  const stop = async () => {
    await Promise.all(members.map((m) => m.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(started.map(({ m, child, output }) => waitHealthy(m.clientUrl, child, output)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, servers: members.map((m) => m.clientUrl), stop };
}
