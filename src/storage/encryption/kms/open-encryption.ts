/**
 * --encryption-provider-config at start: the transformers of every resource, with each KMS v2
 * provider connected to its plugin and primed (one Status, and a seed when the plugin is up; a
 * plugin that is not up yet is retried in the background, as upstream), and the `kms-providers`
 * health check upstream registers when only KMS v2 is used (on /healthz, /livez and /readyz).
 * On an automatic reload (reloading-encryption.ts) a provider whose settings did not change is
 * kept, with its seed and its cache of decrypted seeds, rather than started again.
 */
import type { EncryptionConfig, KmsProviderConfig } from '../config.ts';
import { buildTransformers, type ResourceTransformers } from '../transformer.ts';
import { kmsV2Client, recordedKmsService, type KmsService } from './kms-v2-client.ts';
import { NO_RECORDER, type EncryptionRecorder } from '../encryption-recorder.ts';
import { KmsV2Provider, type KmsV2ProviderOptions } from './kms-v2-provider.ts';
import { aggregateMessage } from '../../../util/aggregate-error.ts';

export interface StartedProvider {
  config: KmsProviderConfig;
  provider: KmsV2Provider;
}

export interface OpenedEncryption {
  transformers: ResourceTransformers;
  /** Present when a KMS provider is configured. */
  healthCheck?: { name: string; check: () => Promise<void> };
  /** The KMS providers by name. */
  providers: ReadonlyMap<string, StartedProvider>;
  /** The sum of the providers' timeouts (upstream's kmsTimeoutSum: old providers close 2x this after a reload). */
  kmsTimeoutSumMs: number;
  close(): void;
}

export interface OpenEncryptionOptions {
  /** The plugin client of a provider (default: gRPC on its unix socket). */
  connect?: (cfg: KmsProviderConfig) => KmsService;
  /** Clock, randomness and poll intervals of the providers (tests). */
  provider?: Omit<KmsV2ProviderOptions, 'name' | 'service' | 'recorder'>;
  /** Metrics (default: none). */
  recorder?: EncryptionRecorder;
  /** The providers of the configuration in force: one with the same name, endpoint and timeout is kept. */
  reuse?: ReadonlyMap<string, StartedProvider>;
}

const sameProvider = (a: KmsProviderConfig, b: KmsProviderConfig) => a.name === b.name && a.endpoint === b.endpoint && a.timeoutMs === b.timeoutMs;

export async function openEncryption(config: EncryptionConfig, opts: OpenEncryptionOptions = {}): Promise<OpenedEncryption> {
  const connect = opts.connect ?? ((cfg: KmsProviderConfig) => kmsV2Client(cfg.endpoint, cfg.timeoutMs));
  const recorder = opts.recorder ?? NO_RECORDER;
  const started = new Map<string, StartedProvider>();
  const fresh: KmsV2Provider[] = [];
  let kmsTimeoutSumMs = 0;
  for (const rule of config.rules) {
    for (const p of rule.providers) {
      if (p.type !== 'kms' || started.has(p.name)) continue;
      kmsTimeoutSumMs += p.timeoutMs;
      const kept = opts.reuse?.get(p.name);
      if (kept && sameProvider(kept.config, p)) {
        started.set(p.name, kept);
        continue;
      }
      const provider = new KmsV2Provider({ ...opts.provider, name: p.name, service: recordedKmsService(connect(p), p.name, recorder), recorder });
      fresh.push(provider);
      started.set(p.name, { config: p, provider });
    }
  }
  const providers = new Map([...started].map(([name, s]) => [name, s.provider]));
  const close = () => {
    for (const p of providers.values()) p.close();
  };
  try {
    await Promise.all(fresh.map((p) => p.start()));
    const transformers = buildTransformers(config, opts.provider?.random, providers, recorder);
    if (providers.size === 0) return { transformers, providers: started, kmsTimeoutSumMs, close };
    const check = async () => {
      // kmsHealthChecker: every provider, the failures together ("kms-provider-0: ...").
      const errs: string[] = [];
      let i = 0;
      for (const p of providers.values()) {
        try {
          await p.check();
        } catch (err) {
          errs.push(`kms-provider-${i}: ${(err as Error).message}`);
        }
        i++;
      }
      const err = aggregateMessage(errs);
      if (err !== undefined) throw new Error(err);
    };
    return { transformers, healthCheck: { name: 'kms-providers', check }, providers: started, kmsTimeoutSumMs, close };
  } catch (err) {
    // Only what this call started: kept providers still serve the configuration in force.
    for (const p of fresh) p.close();
    throw err;
  }
}
