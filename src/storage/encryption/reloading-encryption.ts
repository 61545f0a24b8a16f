/**
 * --encryption-provider-config-automatic-reload, as upstream's encryptionconfig/controller: the
 * file is read again every minute (and at once when its directory changes); when its content hash
 * differs from the configuration in force, the new configuration is built, its KMS plugins must
 * pass the health check (polled every 100 ms for up to max(2 x the sum of KMS timeouts, 10 s)),
 * and only then does it replace the old one. Anything that fails leaves the old configuration in
 * force, is logged ("error processing encryption config file ...") and counted
 * (apiserver_encryption_config_controller_automatic_reloads_total{status="failure"}), and is
 * tried again with upstream's workqueue backoff (5 ms doubling to 1000 s) until the file changes
 * or succeeds.
 *
 * The store asks for a resource's transformer on every value, so swapping the configuration is
 * one assignment: writes after it use the new first provider, and values written before stay
 * readable as long as the new file still lists their provider (as upstream, and as the rotation
 * procedure requires). The single `kms-providers` health check follows the configuration in force
 * (upstream registers it whenever reload is on, a no-op without KMS). KMS providers whose settings
 * did not change are kept; dropped ones close after 2 x the old configuration's KMS timeouts
 * (upstream's KMSCloseGracePeriod), so reads already under way finish.
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { decodeEncryptionConfig, readEncryptionConfigFile } from './config.ts';
import { NO_RECORDER } from './encryption-recorder.ts';
import { openEncryption, type OpenEncryptionOptions, type OpenedEncryption } from './kms/open-encryption.ts';
import type { KmsV2Provider } from './kms/kms-v2-provider.ts';
import type { ResourceTransformers } from './transformer.ts';

export interface ReloadingEncryptionOptions extends OpenEncryptionOptions {
  path: string;
  /** How often the file is read (upstream's EncryptionConfigFileChangePollDuration: a minute). */
  pollMs?: number;
  /** Watch the file's directory and read the file as soon as it changes (default true). */
  watchDir?: boolean;
  log?: { info(msg: string): void; error(msg: string): void };
  /** The least time new KMS plugins get to become healthy (upstream's minKMSPluginCloseGracePeriod, 10 s; tests). */
  minHealthWaitMs?: number;
}

export interface ReloadingEncryption extends OpenedEncryption {
  healthCheck: { name: string; check: () => Promise<void> };
  /** Reads the file now (what the timer and the watch do); resolves when that attempt is over. */
  reloadNow(): Promise<void>;
}

const POLL_MS = 60_000;
const HEALTH_POLL_MS = 100;
const MIN_HEALTH_WAIT_MS = 10_000;
const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 1_000_000;
/** Changes of the directory within this are one read (an editor's write-and-rename is several events). */
const WATCH_SETTLE_MS = 200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** validateNewTransformersHealth: the check passes within the wait, or the last failure is the error. */
async function waitHealthy(check: () => Promise<void>, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() + HEALTH_POLL_MS > deadline) throw new Error(`health check for new transformers failed, polling error context deadline exceeded: ${(err as Error).message}`);
    }
    await sleep(HEALTH_POLL_MS);
  }
}

const providersOf = (e: OpenedEncryption) => new Set<KmsV2Provider>([...e.providers.values()].map((s) => s.provider));

export async function openReloadingEncryption(opts: ReloadingEncryptionOptions): Promise<ReloadingEncryption> {
  const recorder = opts.recorder ?? NO_RECORDER;
  const log = opts.log ?? { info() {}, error() {} };
  // At start a bad file is fatal, as upstream (the server does not start on it).
  const first = readEncryptionConfigFile(opts.path);
  let current = await openEncryption(decodeEncryptionConfig(first.data, opts.path), opts);
  let currentHash = first.hash;
  recorder.configInForce(currentHash);

  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let settle: NodeJS.Timeout | undefined;
  const closing = new Set<{ timer: NodeJS.Timeout; providers: KmsV2Provider[] }>();

  /** One attempt (processWorkItem): throws when the file cannot replace the configuration in force. */
  const attempt = async (): Promise<void> => {
    const { data, hash } = readEncryptionConfigFile(opts.path);
    if (hash === currentHash) return;
    const next = await openEncryption(decodeEncryptionConfig(data, opts.path), { ...opts, reuse: current.providers });
    const kept = providersOf(current);
    const dropNew = () => {
      for (const p of providersOf(next)) if (!kept.has(p)) p.close();
    };
    try {
      if (next.healthCheck) await waitHealthy(next.healthCheck.check, Math.max(2 * next.kmsTimeoutSumMs, opts.minHealthWaitMs ?? MIN_HEALTH_WAIT_MS));
    } catch (err) {
      dropNew();
      throw err;
    }
    if (closed) return dropNew();
    const old = current;
    current = next;
    currentHash = hash;
    const inUse = providersOf(next);
    const dropped = [...providersOf(old)].filter((p) => !inUse.has(p));
    if (dropped.length > 0) {
      const entry = { providers: dropped, timer: setTimeout(() => {
        closing.delete(entry);
        for (const p of dropped) p.close();
      }, 2 * old.kmsTimeoutSumMs) };
      entry.timer.unref();
      closing.add(entry);
    }
    recorder.reload('success');
    recorder.configInForce(hash);
    log.info(`loaded new encryption config content from ${opts.path}`);
  };

  const reload = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    if (retry) clearTimeout(retry);
    retry = undefined;
    running = (async () => {
      do {
        again = false;
        try {
          await attempt();
          failures = 0;
        } catch (err) {
          if (closed) return;
          recorder.reload('failure');
          log.error(`error processing encryption config file ${opts.path}: ${(err as Error).message}`);
          const delay = Math.min(BACKOFF_BASE_MS * 2 ** failures, BACKOFF_MAX_MS);
          failures++;
          retry = setTimeout(() => void reload(), delay);
          retry.unref();
        }
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const poll = setInterval(() => void reload(), opts.pollMs ?? POLL_MS);
  poll.unref();
  let watcher: FSWatcher | undefined;
  if (opts.watchDir !== false) {
    try {
      watcher = watch(dirname(opts.path), () => {
        if (settle) clearTimeout(settle);
        settle = setTimeout(() => void reload(), WATCH_SETTLE_MS);
        settle.unref();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined; // the poll still reads it every interval
    }
  }

  const transformers: ResourceTransformers = { forResource: (gr) => current.transformers.forResource(gr) };
  return {
    transformers,
    get providers() {
      return current.providers;
    },
    get kmsTimeoutSumMs() {
      return current.kmsTimeoutSumMs;
    },
    healthCheck: { name: 'kms-providers', check: () => current.healthCheck?.check() ?? Promise.resolve() },
    reloadNow: reload,
    close() {
      closed = true;
      clearInterval(poll);
      if (retry) clearTimeout(retry);
      if (settle) clearTimeout(settle);
      watcher?.close();
      for (const c of closing) {
        clearTimeout(c.timer);
        for (const p of c.providers) p.close();
      }
      closing.clear();
      current.close();
    },
  };
}
