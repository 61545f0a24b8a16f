/**
 * The API server's side of a KMS v2 plugin (upstream's envelope/kmsv2 grpc_service.go): gRPC over
 * the plugin's unix socket (`endpoint: unix:///path`), every call bounded by the provider's
 * `timeout`. Failures read as Go's gRPC errors (`rpc error: code = Unavailable desc = ...`), the
 * text upstream puts in the 500 a client gets and in the health check.
 */
import * as grpc from '@grpc/grpc-js';
import { secondsSince, type EncryptionRecorder } from '../encryption-recorder.ts';
import { messages, SERVICE_PATH, type Codec, type DecryptRequest, type EncryptResponse, type StatusResponse } from './kms-v2-api.ts';

export interface KmsService {
  status(): Promise<StatusResponse>;
  encrypt(uid: string, plaintext: Buffer): Promise<EncryptResponse>;
  decrypt(uid: string, req: Omit<DecryptRequest, 'uid'>): Promise<Buffer>;
  close(): void;
}

/** grpc-js' status code as Go's codes.Code prints it: DEADLINE_EXCEEDED -> DeadlineExceeded, OK, Canceled. */
export function codeName(code: number): string {
  if (code === grpc.status.OK) return 'OK';
  if (code === grpc.status.CANCELLED) return 'Canceled';
  const name = grpc.status[code] ?? 'Unknown';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

export class KmsRpcError extends Error {
  readonly code: number;
  constructor(code: number, details: string) {
    super(`rpc error: code = ${codeName(code)} desc = ${details}`);
    this.name = 'KmsRpcError';
    this.code = code;
  }
}

/**
 * The status label of upstream's metrics (getErrorCode): OK without an error, the gRPC code of a
 * plugin call's failure wherever it sits in the cause chain (errors.As), else unknown-non-grpc.
 */
export function grpcStatusLabel(err: unknown): string {
  if (err === undefined || err === null) return 'OK';
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof KmsRpcError) return codeName(e.code);
  }
  return 'unknown-non-grpc';
}

/** The socket path of a `unix://` endpoint, as grpc-js addresses it. */
export function grpcTarget(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.protocol !== 'unix:') throw new Error(`unsupported scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))} for KMS provider, only unix is supported`);
  // unix:///abs/path -> pathname /abs/path; unix://rel is not a path.
  return `unix://${decodeURIComponent(url.pathname)}`;
}

export function kmsV2Client(endpoint: string, timeoutMs: number): KmsService {
  const client = new grpc.Client(grpcTarget(endpoint), grpc.credentials.createInsecure(), {
    // A plugin that comes back is reached again soon (gRPC's default backoff grows to 2 minutes).
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1000,
  });
  const call = <Req, Res>(method: string, req: Req, reqCodec: Codec<Req>, resCodec: Codec<Res>): Promise<Res> =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `${SERVICE_PATH}/${method}`,
        (v: Req) => reqCodec.encode(v),
        (b: Buffer) => resCodec.decode(b),
        req,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err) reject(new KmsRpcError(err.code, err.details || err.message));
          else resolve(res as Res);
        },
      );
    });
  return {
    status: () => call('Status', {}, messages.StatusRequest, messages.StatusResponse),
    encrypt: (uid, plaintext) => call('Encrypt', { plaintext, uid }, messages.EncryptRequest, messages.EncryptResponse),
    decrypt: async (uid, req) => (await call('Decrypt', { ...req, uid }, messages.DecryptRequest, messages.DecryptResponse)).plaintext,
    close: () => client.close(),
  };
}

/** The plugin calls of `provider` timed into apiserver_envelope_encryption_kms_operations_latency_seconds. */
export function recordedKmsService(service: KmsService, provider: string, recorder: EncryptionRecorder): KmsService {
  const timed = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const res = await call();
      recorder.kmsOperation(provider, `${SERVICE_PATH}/${method}`, secondsSince(started), undefined);
      return res;
    } catch (err) {
      recorder.kmsOperation(provider, `${SERVICE_PATH}/${method}`, secondsSince(started), err);
      throw err;
    }
  };
  return {
    status: () => timed('Status', () => service.status()),
    encrypt: (uid, plaintext) => timed('Encrypt', () => service.encrypt(uid, plaintext)),
    decrypt: (uid, req) => timed('Decrypt', () => service.decrypt(uid, req)),
    close: () => service.close(),
  };
}
