/**
 * Which transformer a stored value goes through, and the prefix rules upstream reads by
 * (storage/value/transformer.go prefixTransformers, encryptionconfig/config.go):
 * - the first provider of a resource's list writes; every provider in the list may read;
 * - a provider reads a value only when the value starts with its prefix
 *   (`k8s:enc:<provider>:v1:<keyname>:`); a failing match does not stop later ones (the same
 *   provider may appear twice while a key is rotated in);
 * - identity reads anything but encrypted data; it is how values written before encryption was
 *   turned on stay readable (upstream's documented `- identity: {}` fallback at the end);
 * - a resource no rule names is read by the identity check only.
 *
 * A Kubernetes object is stored as itself (a JSON object); an encrypted one as a JSON string: the
 * prefix, then the sealed bytes in base64 (the Store holds JSON values, not raw bytes). A KMS v2
 * provider's prefix is `k8s:enc:kms:v2:<provider name>:`, its sealed bytes upstream's
 * EncryptedObject (kms/kms-v2-provider.ts).
 */
import { newCipher, type RandomBytes, type ValueCipher } from './ciphers.ts';
import type { CipherName, EncryptionConfig, GroupResource, ProviderConfig } from './config.ts';
import type { KmsV2Provider } from './kms/kms-v2-provider.ts';
import { NO_RECORDER, secondsSince, type EncryptionRecorder } from './encryption-recorder.ts';
import { newAggregate } from '../../util/aggregate-error.ts';

export const ENCRYPTED_PREFIX = 'k8s:enc:';

type KeyedProvider = { kind: CipherName; prefix: string; keys: Array<{ name: string; cipher: ValueCipher }> };
type Provider = { kind: 'identity' } | KeyedProvider | { kind: 'kms'; prefix: string; kms: KmsV2Provider };

export interface ValueTransformer {
  /** The value to hand the store for `value` written at `key`. */
  toStorage(value: unknown, key: string): unknown;
  /**
   * The object stored at `key`, and whether a provider or key other than the writing one read it;
   * throws with upstream's reason when no provider can.
   */
  fromStorage(stored: unknown, key: string): { value: unknown; stale: boolean };
  /**
   * What fromStorage needs fetched first (a KMS plugin's Decrypt of a seed not seen yet), or
   * undefined when it can answer at once. Failures are left for fromStorage to report.
   */
  prepare?(stored: unknown): Promise<void> | undefined;
}

export const isEncrypted = (stored: unknown): stored is string => typeof stored === 'string' && stored.startsWith(ENCRYPTED_PREFIX);

const NO_KEY: Record<CipherName, string> = {
  aescbc: 'no matching key was found for the provided AES transformer',
  aesgcm: 'no matching key was found for the provided AES transformer',
  secretbox: 'no matching key was found for the provided Secretbox transformer',
};

/**
 * A keyed provider's keys, tried in order. Upstream nests a prefix transformer per key (prefix
 * `<name>:`) inside the provider's, so each key tried is a transformation of its own in the metrics.
 */
function openWith(p: KeyedProvider, rest: string, key: string, rec: EncryptionRecorder): { value: unknown; keyIndex: number } {
  const started = performance.now();
  const errs: Error[] = [];
  for (const [keyIndex, k] of p.keys.entries()) {
    if (!rest.startsWith(`${k.name}:`)) continue;
    try {
      const plain = k.cipher.open(Buffer.from(rest.slice(k.name.length + 1), 'base64'), Buffer.from(key, 'utf8'));
      rec.transformation('from_storage', `${k.name}:`, secondsSince(started), undefined);
      return { value: JSON.parse(plain.toString('utf8')), keyIndex };
    } catch (err) {
      rec.transformation('from_storage', `${k.name}:`, secondsSince(started), err);
      errs.push(err as Error);
    }
  }
  if (errs.length > 0) throw newAggregate(errs)!;
  const none = new Error(NO_KEY[p.kind]);
  rec.transformation('from_storage', 'unknown', secondsSince(started), none);
  throw none;
}

/** Runs one transformation and records it (upstream's RecordTransformation around each prefix transformer). */
function recorded<T>(rec: EncryptionRecorder, type: 'from_storage' | 'to_storage', prefix: string, run: () => T): T {
  const started = performance.now();
  try {
    const out = run();
    rec.transformation(type, prefix, secondsSince(started), undefined);
    return out;
  } catch (err) {
    rec.transformation(type, prefix, secondsSince(started), err);
    throw err;
  }
}

class PrefixTransformers implements ValueTransformer {
  private readonly providers: readonly Provider[];
  private readonly rec: EncryptionRecorder;

  constructor(providers: readonly Provider[], rec: EncryptionRecorder) {
    this.providers = providers;
    this.rec = rec;
  }

  toStorage(value: unknown, key: string): unknown {
    const first = this.providers[0]!;
    const rec = this.rec;
    // Identity's prefix is empty, and upstream labels its writes so.
    if (first.kind === 'identity') return recorded(rec, 'to_storage', '', () => value);
    if (first.kind === 'kms') return recorded(rec, 'to_storage', first.prefix, () => `${first.prefix}${first.kms.seal(Buffer.from(JSON.stringify(value), 'utf8'), Buffer.from(key, 'utf8')).toString('base64')}`);
    const k = first.keys[0]!;
    return recorded(rec, 'to_storage', first.prefix, () => {
      const sealed = recorded(rec, 'to_storage', `${k.name}:`, () => k.cipher.seal(Buffer.from(JSON.stringify(value), 'utf8'), Buffer.from(key, 'utf8')));
      return `${first.prefix}${k.name}:${sealed.toString('base64')}`;
    });
  }

  fromStorage(stored: unknown, key: string): { value: unknown; stale: boolean } {
    const started = performance.now();
    const errs: Error[] = [];
    for (const [i, p] of this.providers.entries()) {
      if (p.kind === 'identity') {
        // Identity's refusal of encrypted data never hides a later provider's answer.
        if (isEncrypted(stored)) continue;
        this.rec.transformation('from_storage', 'identity', secondsSince(started), undefined);
        return { value: stored, stale: i !== 0 };
      }
      if (typeof stored !== 'string' || !stored.startsWith(p.prefix)) continue;
      try {
        let out: { value: unknown; stale: boolean };
        if (p.kind === 'kms') {
          const { data, stale } = p.kms.open(Buffer.from(stored.slice(p.prefix.length), 'base64'), Buffer.from(key, 'utf8'));
          out = { value: JSON.parse(data.toString('utf8')), stale: stale || i !== 0 };
        } else {
          const { value, keyIndex } = openWith(p, stored.slice(p.prefix.length), key, this.rec);
          out = { value, stale: i !== 0 || keyIndex !== 0 };
        }
        this.rec.transformation('from_storage', p.prefix, secondsSince(started), undefined);
        return out;
      } catch (err) {
        this.rec.transformation('from_storage', p.prefix, secondsSince(started), err);
        errs.push(err as Error);
      }
    }
    if (errs.length > 0) throw newAggregate(errs)!;
    const none = new Error('no matching prefix found');
    this.rec.transformation('from_storage', 'unknown', secondsSince(started), none);
    throw none;
  }

  prepare(stored: unknown): Promise<void> | undefined {
    if (!isEncrypted(stored)) return undefined;
    const waits: Promise<void>[] = [];
    for (const p of this.providers) {
      if (p.kind !== 'kms' || !stored.startsWith(p.prefix)) continue;
      const w = p.kms.prepare(Buffer.from(stored.slice(p.prefix.length), 'base64'));
      if (w) waits.push(w);
    }
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }
}

/** Resources no rule names: plaintext passes, encrypted data is an error (identity.NewEncryptCheckTransformer). */
export const IDENTITY_CHECK: ValueTransformer = {
  toStorage: (value) => value,
  fromStorage(stored) {
    if (isEncrypted(stored)) throw new Error('identity transformer tried to read encrypted data');
    return { value: stored, stale: false };
  },
};

/** KMS v2 providers by name, started by the caller (kms/open-transformers.ts). */
export type KmsProviders = ReadonlyMap<string, KmsV2Provider>;

function provider(cfg: ProviderConfig, random?: RandomBytes, kms?: KmsProviders): Provider {
  if (cfg.type === 'identity') return { kind: 'identity' };
  if (cfg.type === 'kms') {
    const k = kms?.get(cfg.name);
    // Never a silent identity in its place: encryption asked for and not done is refused.
    if (!k) throw new Error(`KMS provider ${JSON.stringify(cfg.name)} was not started`);
    return { kind: 'kms', prefix: k.prefix, kms: k };
  }
  return { kind: cfg.type, prefix: `${ENCRYPTED_PREFIX}${cfg.type}:v1:`, keys: cfg.keys.map((k) => ({ name: k.name, cipher: newCipher(cfg.type, k.secret, random) })) };
}

export interface ResourceTransformers {
  /** The transformer for a group/resource: exact, then `*.<group>`, then `*.*`, else the identity check. */
  forResource(gr: GroupResource): ValueTransformer;
}

export function buildTransformers(config: EncryptionConfig, random?: RandomBytes, kms?: KmsProviders, recorder: EncryptionRecorder = NO_RECORDER): ResourceTransformers {
  const lists = new Map<string, Provider[]>();
  const id = (group: string, resource: string) => `${group}\u0000${resource}`;
  for (const rule of config.rules) {
    const providers = rule.providers.map((p) => provider(p, random, kms));
    // A resource named by two rules reads with both lists, the first rule's writing (upstream appends).
    for (const gr of rule.resources) lists.set(id(gr.group, gr.resource), [...(lists.get(id(gr.group, gr.resource)) ?? []), ...providers]);
  }
  const byId = new Map([...lists].map(([k, v]) => [k, new PrefixTransformers(v, recorder) as ValueTransformer]));
  return {
    forResource: ({ group, resource }) => byId.get(id(group, resource)) ?? byId.get(id(group, '*')) ?? byId.get(id('*', '*')) ?? IDENTITY_CHECK,
  };
}
