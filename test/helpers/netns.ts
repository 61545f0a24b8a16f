/**
 * Test hosts in network namespaces: a "node" namespace that routes for "pod" namespaces, each
 * joined to it by a veth pair with a /32 route (the routed layout Calico uses: the pod's gateway
 * 169.254.1.1 is an address of the node), so every pod-to-pod packet crosses the node's forward
 * hook. Everything is created under a random suffix and removed by destroy().
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startProber } from '../../src/cluster/netpol/prober.ts';

function sh(args: string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface TestHost {
  name: string;
  netns: string;
  ip: string;
  /** Starts TCP listeners on these ports (each accepts and closes). */
  listen(ports: number[]): Promise<void>;
  /** Whether a TCP connection to host:port is established within the timeout. */
  connect(host: string, port: number, timeoutMs?: number): Promise<boolean>;
  /** Connects and returns the name the server answered with (undefined if no connection). */
  whoAnswers(host: string, port: number, timeoutMs?: number): Promise<string | undefined>;
}

/** A TCP prober process inside a network namespace (its processes are pushed onto `procs` for cleanup). */
export function spawnProber(netns: string, name: string, ip: string, procs: ChildProcess[]): TestHost {
  const p = startProber(['ip', 'netns', 'exec', netns], procs);
  return {
    name,
    netns,
    ip,
    listen: (ports) => p.listen(ports, name),
    connect: async (h, port, timeoutMs = 700) => (await p.connect(h, port, timeoutMs)).ok,
    async whoAnswers(h, port, timeoutMs = 700) {
      const r = await p.connect(h, port, timeoutMs, true);
      return r.ok && r.data ? r.data : undefined;
    },
  };
}

/** Network namespaces made by a test, removed together (processes inside killed first). */
export class Namespaces {
  readonly suffix = randomBytes(3).toString('hex');
  readonly procs: ChildProcess[] = [];
  readonly #names: string[] = [];

  add(prefix: string): string {
    const name = `${prefix}-${this.suffix}`;
    sh(['ip', 'netns', 'add', name]);
    this.#names.push(name);
    sh(['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    return name;
  }

  exec(netns: string, args: string[]): string {
    return sh(['ip', 'netns', 'exec', netns, ...args]);
  }

  prober(netns: string, name: string, ip: string): TestHost {
    return spawnProber(netns, name, ip, this.procs);
  }

  destroy(): void {
    for (const p of this.procs) p.kill('SIGKILL');
    for (const ns of this.#names.reverse()) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  }
}

export class RoutedNode {
  readonly suffix = randomBytes(3).toString('hex');
  readonly node = `pcn-${this.suffix}`;
  readonly hosts: TestHost[] = [];
  readonly #procs: ChildProcess[] = [];
  readonly #namespaces: string[] = [];

  constructor() {
    sh(['ip', 'netns', 'add', this.node]);
    this.#namespaces.push(this.node);
    try {
      this.exec(['ip', 'link', 'set', 'lo', 'up']);
      this.exec(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      // The pods' gateway is an address of the node (on lo), which it answers ARP for on every veth.
      this.exec(['ip', 'addr', 'add', '169.254.1.1/32', 'dev', 'lo']);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  exec(args: string[], input?: string): string {
    return sh(['ip', 'netns', 'exec', this.node, ...args], input);
  }

  /** A host with one address, routed by the node. */
  addHost(name: string, ip: string): TestHost {
    const i = this.hosts.length;
    const ns = `pch${i}-${this.suffix}`;
    const hostSide = `vh${i}${this.suffix}`;
    sh(['ip', 'netns', 'add', ns]);
    this.#namespaces.push(ns);
    sh(['ip', 'link', 'add', hostSide, 'netns', this.node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    const inNs = (args: string[]): string => sh(['ip', 'netns', 'exec', ns, ...args]);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
    inNs(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'eth0']);
    inNs(['ip', 'link', 'set', 'eth0', 'up']);
    inNs(['ip', 'route', 'add', '169.254.1.1', 'dev', 'eth0']);
    inNs(['ip', 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    this.exec(['ip', 'link', 'set', hostSide, 'up']);
    this.exec(['ip', 'route', 'add', `${ip}/32`, 'dev', hostSide]);
    const host = spawnProber(ns, name, ip, this.#procs);
    this.hosts.push(host);
    return host;
  }

  /** Loads an nftables script into the node's namespace (atomically, as nft -f does). */
  loadNftables(script: string): void {
    this.exec(['nft', '-f', '-'], script);
  }

  destroy(): void {
    for (const p of this.#procs) p.kill('SIGKILL');
    for (const ns of this.#namespaces.reverse()) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  }
}
