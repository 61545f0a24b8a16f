/**
 * --encryption-provider-config at start: the transformers of every resource, with each KMS v2
 * provider connected to its plugin and primed (one Status, and a seed when the plugin is up; a
 * plugin that is not up yet is retried in the background, as upstream), and the `kms-providers`
 * health check upstream registers when only KMS v2 is used (on /healthz, /livez and /readyz).
 */
import type { EncryptionConfig, KmsProviderConfig } from '../config.ts';
import { buildTransformers, type ResourceTransformers } from '../transformer.ts';
import { kmsV2Client, type KmsService } from './kms-v2-client.ts';
import { KmsV2Provider, type KmsV2ProviderOptions } from './kms-v2-provider.ts';

export interface OpenedEncryption {
  transformers: ResourceTransformers;
  /** Present when a KMS provider is configured. */
  healthCheck?: { name: string; check: () => Promise<void> };
  close(): void;
}

export interface OpenEncryptionOptions {
  /** The plugin client of a provider (default: gRPC on its unix socket). */
  connect?: (cfg: KmsProviderConfig) => KmsService;
  /** Clock, randomness and poll intervals of the providers (tests). */
  provider?: Omit<KmsV2ProviderOptions, 'name' | 'service'>;
}

export async function openEncryption(config: EncryptionConfig, opts: OpenEncryptionOptions = {}): Promise<OpenedEncryption> {
  const connect = opts.connect ?? ((cfg: KmsProviderConfig) => kmsV2Client(cfg.endpoint, cfg.timeoutMs));
  const providers = new Map<string, KmsV2Provider>();
  for (const rule of config.rules) {
    for (const p of rule.providers) {
      if (p.type !== 'kms' || providers.has(p.name)) continue;
      providers.set(p.name, new KmsV2Provider({ ...opts.provider, name: p.name, service: connect(p) }));
    }
  }
  const close = () => {
    for (const p of providers.values()) p.close();
  };
  try {
    await Promise.all([...providers.values()].map((p) => p.start()));
    const transformers = buildTransformers(config, opts.provider?.random, providers);
    if (providers.size === 0) return { transformers, close };
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
      if (errs.length > 0) throw new Error(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
    };
    return { transformers, healthCheck: { name: 'kms-providers', check }, close };
  } catch (err) {
    close();
    throw err;
  }
}
