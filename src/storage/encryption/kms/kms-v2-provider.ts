/**
 * A KMS v2 provider as kube-apiserver runs one (encryptionconfig/config.go kmsv2PluginProbe,
 * envelope/kmsv2/envelope.go):
 *
 * - State: one DEK seed per key ID, made by this server (32 random bytes) and encrypted by the
 *   plugin (Encrypt); every write seals with it (seed-gcm.ts) and stores upstream's
 *   EncryptedObject (the data, the plugin's key ID, the encrypted seed, the plugin's annotations).
 * - The plugin's Status is polled (every minute, every 10 s while it fails); a key ID different
 *   from the state's makes a new seed. The state is good for writes for 3 minutes past the last
 *   good Status, so a plugin that goes away stops writes after at most that (fail closed, with
 *   upstream's "expired" error); before any good Status there is no state, and reads and writes
 *   fail with "got unexpected nil transformer", as upstream.
 * - Reads: the encrypted seed of a value is decrypted by the plugin once and kept (bounded, keyed
 *   as upstream's cache key); the plugin call is asynchronous, so the store layer calls prepare()
 *   before the synchronous open(). A value whose key ID or seed type is not the state's is stale:
 *   the next write of it re-encrypts (rotation by rewriting).
 * - Health: `check()` is upstream's probe, with its cached answer (20 s when good, 3 s when not).
 */
import { randomBytes as nodeRandomBytes, randomUUID } from 'node:crypto';
import type { RandomBytes } from '../ciphers.ts';
import { HKDF_SHA256_XNONCE_AES_GCM_SEED, messages, type EncryptedObject } from './kms-v2-api.ts';
import { cacheKey, keyIdHash, validateEncryptedObject, validateKeyId } from './kms-v2-encrypted-object.ts';
import type { KmsService } from './kms-v2-client.ts';
import { keyCipher, SEED_SIZE, seedCipher, type DataCipher } from './seed-gcm.ts';
import { NO_RECORDER, secondsSince, type EncryptionRecorder } from '../encryption-recorder.ts';
import { aggregateMessage } from '../../../util/aggregate-error.ts';

export const KMS_V2_PREFIX = 'k8s:enc:kms:v2:';

const POSITIVE_INTERVAL_MS = 60_000;
const NEGATIVE_INTERVAL_MS = 10_000;
const WRITE_TTL_MS = 3 * 60_000;
const HEALTH_POSITIVE_TTL_MS = 20_000;
const HEALTH_NEGATIVE_TTL_MS = 3_000;
/** Decrypted seeds kept (upstream keeps a day's worth; one per key ID and server start in practice). */
const SEED_CACHE_MAX = 1024;

export interface KmsV2ProviderOptions {
  name: string;
  service: KmsService;
  now?: () => number;
  random?: RandomBytes;
  newUid?: () => string;
  positiveIntervalMs?: number;
  negativeIntervalMs?: number;
  writeTtlMs?: number;
  /** Metrics (key IDs used and from Status, cache misses and size, seed generation). */
  recorder?: EncryptionRecorder;
}

interface State {
  cipher: DataCipher;
  object: Omit<EncryptedObject, 'encryptedData'>;
  cacheKey: string;
  expiresAt: number;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Insertion-ordered map that forgets its oldest entry past `max`. */
function boundedSet<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

export class KmsV2Provider {
  readonly name: string;
  readonly prefix: string;
  private readonly service: KmsService;
  private readonly now: () => number;
  private readonly random: RandomBytes;
  private readonly newUid: () => string;
  private readonly positiveMs: number;
  private readonly negativeMs: number;
  private readonly writeTtlMs: number;
  private readonly recorder: EncryptionRecorder;
  private state?: State;
  private version?: string;
  private last?: { err?: Error; at: number; ttl: number };
  private probing?: Promise<void>;
  private readonly seeds = new Map<string, DataCipher>();
  private readonly failures = new Map<string, Error>();
  private readonly inflight = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(opts: KmsV2ProviderOptions) {
    this.name = opts.name;
    this.prefix = `${KMS_V2_PREFIX}${opts.name}:`;
    this.service = opts.service;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? nodeRandomBytes;
    this.newUid = opts.newUid ?? randomUUID;
    this.positiveMs = opts.positiveIntervalMs ?? POSITIVE_INTERVAL_MS;
    this.negativeMs = opts.negativeIntervalMs ?? NEGATIVE_INTERVAL_MS;
    this.writeTtlMs = opts.writeTtlMs ?? WRITE_TTL_MS;
    this.recorder = opts.recorder ?? NO_RECORDER;
  }

  /**
   * primeAndProbeKMSv2: one probe inline (a plugin that is up gives the first write its seed), then
   * the polling loop. A plugin that is not up yet is not fatal: the loop keeps trying every 10 s.
   */
  async start(): Promise<void> {
    let ok = true;
    try {
      await this.check();
    } catch {
      ok = false;
    }
    this.schedule(ok ? this.positiveMs : this.negativeMs);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.check().then(
        () => this.schedule(this.positiveMs),
        () => this.schedule(this.negativeMs),
      );
    }, ms);
    this.timer.unref();
  }

  /** The health check (kms-providers): the last answer while fresh, else a Status call. */
  check(): Promise<void> {
    const last = this.last;
    if (last && this.now() - last.at < last.ttl) return last.err ? Promise.reject(last.err) : Promise.resolve();
    this.probing ??= this.probe().then(
      () => {
        this.last = { at: this.now(), ttl: HEALTH_POSITIVE_TTL_MS };
      },
      (err: Error) => {
        this.last = { err, at: this.now(), ttl: HEALTH_NEGATIVE_TTL_MS };
        throw err;
      },
    ).finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async probe(): Promise<void> {
    let status;
    try {
      status = await this.service.status();
    } catch (err) {
      throw new Error(`failed to perform status section of the healthz check for KMS Provider ${this.name}, error: ${(err as Error).message}`);
    }
    const errs: string[] = [];
    if (status.healthz !== 'ok') errs.push(`got unexpected healthz status: ${status.healthz}`);
    if (status.version !== 'v2' && status.version !== 'v2beta1') errs.push(`expected KMSv2 API version v2, got ${status.version}`);
    else {
      this.version ??= status.version;
      if (this.version !== status.version) errs.push(`KMSv2 API version should not change after the initial status response version ${this.version}, got ${status.version}`);
    }
    const keyErr = validateKeyId(status.key_id);
    if (keyErr) {
      this.recorder.invalidKeyIdFromStatus(this.name, keyErr.code);
      errs.push(`got invalid KMSv2 KeyID hash ${JSON.stringify(keyIdHash(status.key_id))}: ${keyErr.message}`);
    } else {
      this.recorder.keyIdFromStatus(this.name, status.key_id);
      const rotateErr = await this.rotateOnKeyIdChange(status.key_id, this.newUid());
      if (rotateErr) errs.push(rotateErr);
    }
    // utilerrors.Reduce(utilerrors.NewAggregate(errs)): the same text, repeated messages dropped.
    const err = aggregateMessage(errs);
    if (err !== undefined) throw new Error(`kmsv2 Provider ${this.name} is not healthy, error: ${err}`);
  }

  /** rotateDEKOnKeyIDChange: the same key ID extends the state; a new one gets a new seed, or the old state coasts. */
  private async rotateOnKeyIdChange(statusKeyId: string, uid: string): Promise<string | undefined> {
    const expiresAt = this.now() + this.writeTtlMs;
    const state = this.state;
    if (state && state.object.keyID === statusKeyId) {
      state.expiresAt = expiresAt;
      return undefined;
    }
    let errGen: string | undefined;
    let encryptKeyId = '';
    try {
      const started = performance.now();
      const seed = this.random(SEED_SIZE);
      this.recorder.dataKeyGeneration(secondsSince(started), undefined);
      let resp;
      try {
        resp = await this.service.encrypt(uid, seed);
      } catch (err) {
        throw new Error(`failed to encrypt DEK, error: ${(err as Error).message}`);
      }
      encryptKeyId = resp.key_id;
      const object = { keyID: resp.key_id, encryptedDEKSource: resp.ciphertext, annotations: resp.annotations, encryptedDEKSourceType: HKDF_SHA256_XNONCE_AES_GCM_SEED };
      validateEncryptedObject({ ...object, encryptedData: Buffer.from([0]) });
      if (resp.key_id === statusKeyId) {
        const next: State = { cipher: seedCipher(seed, this.random), object, cacheKey: cacheKey(object), expiresAt };
        this.keepSeed(next.cacheKey, next.cipher);
        this.state = next;
        return undefined;
      }
    } catch (err) {
      errGen = (err as Error).message;
    }
    const show = (s: string | undefined) => (s === undefined ? '<nil>' : s);
    return `failed to rotate DEK uid=${JSON.stringify(uid)}, useSeed=true, errState=${show(state ? undefined : 'got unexpected nil transformer')}, errGen=${show(errGen)}, statusKeyIDHash=${JSON.stringify(keyIdHash(statusKeyId))}, encryptKeyIDHash=${JSON.stringify(keyIdHash(encryptKeyId))}, stateKeyIDHash=${JSON.stringify(keyIdHash(state?.object.keyID ?? ''))}, expirationTimestamp=${state ? rfc3339(state.expiresAt) : '0001-01-01T00:00:00Z'}`;
  }

  private keepSeed(key: string, cipher: DataCipher): void {
    boundedSet(this.seeds, key, cipher, SEED_CACHE_MAX);
    this.recorder.dekSourceCacheSize(this.name, this.seeds.size);
  }

  private currentState(): State {
    if (!this.state) throw new Error('got unexpected nil transformer');
    return this.state;
  }

  /** TransformToStorage: the EncryptedObject bytes of `data`, or upstream's error when the state cannot write. */
  seal(data: Buffer, aad: Buffer): Buffer {
    const state = this.currentState();
    const now = this.now();
    if (now > state.expiresAt) {
      throw new Error(`encryptedDEKSource with keyID hash ${JSON.stringify(keyIdHash(state.object.keyID))} expired at ${rfc3339(state.expiresAt)} (current time is ${rfc3339(now)})`);
    }
    const object: EncryptedObject = { ...state.object, encryptedData: state.cipher.seal(data, aad) };
    validateEncryptedObject(object);
    this.recorder.keyIdUsed('to_storage', this.name, object.keyID);
    return messages.EncryptedObject.encode(object);
  }

  private decode(body: Buffer): EncryptedObject {
    const o = messages.EncryptedObject.decode(body);
    validateEncryptedObject(o);
    return o;
  }

  /**
   * Makes the seed of a stored value available to open(): a plugin Decrypt when it is not known
   * yet (one call per seed however many reads wait for it). Undefined when nothing is to be done.
   */
  prepare(body: Buffer): Promise<void> | undefined {
    let o: EncryptedObject;
    try {
      o = this.decode(body);
    } catch {
      return undefined; // open() reports it
    }
    const key = cacheKey(o);
    if (this.seeds.has(key)) return undefined;
    const running = this.inflight.get(key);
    if (running) return running;
    this.recorder.cacheMiss();
    const p = this.service
      .decrypt(this.newUid(), { ciphertext: o.encryptedDEKSource, key_id: o.keyID, annotations: o.annotations })
      .then((dek) => {
        const cipher = o.encryptedDEKSourceType === HKDF_SHA256_XNONCE_AES_GCM_SEED ? seedCipher(dek, this.random) : keyCipher(dek, this.random);
        this.keepSeed(key, cipher);
        this.failures.delete(key);
      })
      .catch((err: Error) => {
        boundedSet(this.failures, key, err, SEED_CACHE_MAX);
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** TransformFromStorage, once prepare() has run: the data, and whether it was written under another key ID or seed type. */
  open(body: Buffer, aad: Buffer): { data: Buffer; stale: boolean } {
    const o = this.decode(body);
    const state = this.currentState();
    const key = cacheKey(o);
    const cipher = this.seeds.get(key);
    if (!cipher) {
      const cause = this.failures.get(key);
      throw new Error(`failed to decrypt DEK, error: ${cause?.message ?? 'the DEK was not decrypted by the plugin yet'}`, { cause });
    }
    this.recorder.keyIdUsed('from_storage', this.name, o.keyID);
    const data = cipher.open(o.encryptedData, aad);
    return { data, stale: o.keyID !== state.object.keyID || o.encryptedDEKSourceType !== state.object.encryptedDEKSourceType };
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.service.close();
  }
}
