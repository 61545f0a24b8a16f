import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadKubeconfig } from '../../src/util/kubeconfig.ts';
import { TestClient } from './client.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  client: TestClient;
  exited: Promise<number | null>;
  /** What the process printed on stdout so far (the serving banner, durability line). */
  stdout: () => string;
}

/** Starts `bin/portcullis up` as a real process on a free port and waits until it serves. */
export function spawnUp(dataDir: string, extra: string[] = []): Promise<SpawnedServer> {
  return spawnServer('up', dataDir, extra);
}

/** Starts `bin/portcullis <command>` (up, apiserver) as a real process on a free port and waits until it serves. */
export async function spawnServer(command: 'up' | 'apiserver', dataDir: string, extra: string[] = []): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'portcullis'), command, '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`portcullis ${command} did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`portcullis ${command} exited with ${code}: ${err}`));
    });
  });
  return { child, url, client: clientFromKubeconfig(join(dataDir, 'admin.kubeconfig')), exited, stdout: () => out };
}

/** A client as the kubeconfig's current context (read by the server's own kubeconfig reader). */
export function clientFromKubeconfig(path: string): TestClient {
  const kc = loadKubeconfig(path);
  if (!kc.caPem || !kc.certPem || !kc.keyPem) throw new Error(`${path}: want a CA and a client certificate`);
  return new TestClient(kc.server, { caPem: kc.caPem, certPem: kc.certPem, keyPem: kc.keyPem });
}
