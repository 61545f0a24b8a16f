/**
 * A TCP prober living in another network namespace: one small Node.js process, started under
 * `ip netns exec NAME` or `nsenter --net=PATH`, that listens and connects on request (JSON lines
 * on stdin/stdout). `netpol analyze --probe` opens connections from each pod's namespace with it;
 * the network tests use it as their pods and external hosts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const PROBER_SCRIPT = `
const net = require('node:net');
const rl = require('node:readline').createInterface({ input: process.stdin });
const servers = [];
rl.on('close', () => process.exit(0));
rl.on('line', (line) => {
  const m = JSON.parse(line);
  if (m.listen) {
    // Each server says who answered (the name given), then closes.
    // Answered once every listener is bound, so a connect right after cannot race the bind.
    let pending = m.listen.length;
    for (const p of m.listen) {
      const srv = net.createServer((s) => { s.on('error', () => {}); s.end(m.name + '\\n'); });
      servers.push(srv);
      srv.listen(p, '0.0.0.0', () => { if (--pending === 0) process.stdout.write(JSON.stringify({ id: m.id, ok: true }) + '\\n'); });
    }
  } else {
    const s = net.connect({ host: m.host, port: m.port });
    let done = false;
    let data = '';
    const finish = (ok, code) => { if (done) return; done = true; s.destroy(); process.stdout.write(JSON.stringify({ id: m.id, ok, data: data.trim(), code }) + '\\n'); };
    s.setTimeout(m.timeoutMs, () => finish(false, 'ETIMEDOUT'));
    s.on('connect', () => { if (!m.read) finish(true); });
    s.on('data', (d) => { data += d; });
    s.on('end', () => finish(true));
    s.on('error', (err) => finish(false, err.code));
  }
});
`;

export interface ProbeAnswer {
  ok: boolean;
  /** What the server wrote before closing (when asked to read). */
  data?: string;
  /** Why not: ETIMEDOUT (nothing answered: dropped), ECONNREFUSED (the host answered with a reset), ... */
  code?: string;
}

export interface Prober {
  /** Starts TCP listeners on these ports (each writes `name` and closes). */
  listen(ports: number[], name: string): Promise<void>;
  connect(host: string, port: number, timeoutMs: number, read?: boolean): Promise<ProbeAnswer>;
  close(): void;
}

/** Spawns the prober under `command` (e.g. ['nsenter', '--net=/proc/42/ns/net']); its process is pushed onto `procs` when given. */
export function startProber(command: readonly string[], procs?: ChildProcess[]): Prober {
  const proc = spawn(command[0]!, [...command.slice(1), process.execPath, '-e', PROBER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  procs?.push(proc);
  const waiting = new Map<number, (r: ProbeAnswer) => void>();
  const failAll = () => {
    for (const w of waiting.values()) w({ ok: false, code: 'EPROBER' });
    waiting.clear();
  };
  proc.on('exit', failAll);
  proc.on('error', failAll);
  // A prober that died (its namespace gone, nsenter refused) closes the pipe: a request written
  // meanwhile fails with EPIPE, answered as EPROBER instead of an unhandled 'error' event.
  proc.stdin!.on('error', failAll);
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const m = JSON.parse(l) as ProbeAnswer & { id: number };
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  let next = 0;
  const ask = (msg: Record<string, unknown>): Promise<ProbeAnswer> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve({ ok: false, code: 'EPROBER' });
      const id = next++;
      waiting.set(id, resolve);
      proc.stdin!.write(JSON.stringify({ ...msg, id }) + '\n');
    });
  return {
    async listen(ports, name) {
      await ask({ listen: ports, name });
    },
    connect: (host, port, timeoutMs, read = false) => ask({ host, port, timeoutMs, read }),
    close: () => {
      proc.stdin!.end();
      proc.kill('SIGKILL');
    },
  };
}
