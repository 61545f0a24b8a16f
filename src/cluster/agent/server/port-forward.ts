/**
 * /portForward/{namespace}/{pod}?port=P[,Q]: the kubelet's WebSocket port forwarding
 * (portforward/websocket.go). Two channels per port, in the order of the ports asked for: data
 * (2i) and error (2i+1); the first message on each carries the port as two little-endian bytes.
 * Each port is one TCP connection into the pod, opened when the session starts; what the
 * connection says goes back on the data channel, a failure to connect as text on the error
 * channel. The session ends when the client closes or every connection has ended.
 *
 * Into the pod: hostNetwork pods (the sandbox says so) are reached on the host's 127.0.0.1; others inside their
 * network namespace by `nsenter --net=<sandbox netns> busybox nc 127.0.0.1 <port>` (the
 * nsenter + socat way of dockershim's port forwarding), so a server bound to the pod's loopback
 * is reachable as upstream's.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import type { SandboxStatus } from '../runtime/types.ts';
import type { ChannelConn } from './channels.ts';
import { StreamTargetError } from './find-container.ts';

/** Opens a byte stream to `port` on the pod's loopback. */
export type PortDialer = (sandbox: SandboxStatus, port: number) => Promise<Duplex>;

/** The ports asked for (`port` repeated or comma-separated), each 1-65535, at most 64 of them. */
export function forwardedPorts(q: URLSearchParams): number[] {
  const ports = q.getAll('port').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (ports.length === 0) throw new StreamTargetError(400, 'at least one port must be specified');
  if (ports.length > 64) throw new StreamTargetError(400, 'too many ports');
  return ports.map((p) => {
    const n = /^\d+$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= 65535)) throw new StreamTargetError(400, `unable to parse "${p}" as a port: must be 1-65535`);
    return n;
  });
}

const BUSYBOX = '/bin/busybox';

export const netnsDialer: PortDialer = async (sandbox, port) => {
  // As containerd's portForward: the host's namespace only for a pod on the host network; any
  // other sandbox without its namespace fails closed rather than reach the node's loopback.
  if (sandbox.hostNetwork === true) return connectTcp('127.0.0.1', port);
  const net = sandbox.namespaces.net;
  if (!net) throw new Error(`network namespace for sandbox ${JSON.stringify(sandbox.id)} is closed`);
  const child = spawn('nsenter', [`--net=${net}`, '--', BUSYBOX, 'nc', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
  const d = Duplex.from({ readable: child.stdout, writable: child.stdin });
  // The connection is the process: it ends when nc exits, and nc is killed when the client goes.
  child.once('exit', () => d.destroy());
  child.once('error', (err) => d.destroy(err));
  d.once('close', () => child.kill('SIGKILL'));
  return d;
};

function connectTcp(host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

export async function runPortForward(sandbox: SandboxStatus, ports: number[], dial: PortDialer, conn: ChannelConn): Promise<void> {
  const open = new Set<Duplex>();
  conn.ws.on('close', () => {
    for (const s of open) s.destroy();
  });
  let live = ports.length;
  const done = () => {
    if (--live === 0) conn.close();
  };
  ports.forEach((port, i) => {
    const data = 2 * i;
    const error = data + 1;
    const portBytes = Buffer.from([port & 0xff, port >> 8]);
    conn.send(data, portBytes);
    conn.send(error, portBytes);
    const fromClient = conn.reader(data);
    dial(sandbox, port).then(
      (s) => {
        open.add(s);
        fromClient.pipe(s);
        s.pipe(conn.writer(data), { end: false });
        s.on('error', (err) => conn.send(error, `error forwarding port ${port} to pod ${sandbox.pod.name}, uid ${sandbox.pod.uid}: ${err.message}`));
        s.on('close', () => {
          open.delete(s);
          done();
        });
      },
      (err: Error) => {
        conn.send(error, `error forwarding port ${port} to pod ${sandbox.pod.name}, uid ${sandbox.pod.uid}: ${err.message}`);
        fromClient.resume();
        done();
      },
    );
  });
}
