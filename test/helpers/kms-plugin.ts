/**
 * A KMS v2 plugin for tests: the v2.KeyManagementService over gRPC on a unix socket, as a real
 * plugin (the API server's client cannot tell). Its key encryption keys are AES-256-GCM keys, one
 * per key ID; rotate() makes a new current one, stop()/start() take the plugin away and back on
 * the same socket. Encrypt answers an annotation, as real plugins may, to show it round-trips.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { messages, SERVICE_PATH, type DecryptRequest, type EncryptRequest } from '../../src/storage/encryption/kms/kms-v2-api.ts';

export interface TestKmsPlugin {
  endpoint: string;
  calls: { status: number; encrypt: number; decrypt: number };
  /** A new key ID (and key) for Status and Encrypt; old ones still decrypt. */
  rotate(keyId: string): void;
  /** What Status says about health (default "ok"). */
  healthz: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startKmsPlugin(socketPath: string, keyId = 'key-1'): Promise<TestKmsPlugin> {
  const keks = new Map<string, Buffer>([[keyId, randomBytes(32)]]);
  let current = keyId;
  let server: grpc.Server | undefined;
  const seal = (kek: Buffer, data: Buffer) => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', kek, nonce);
    const body = Buffer.concat([c.update(data), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  };
  const open = (kek: Buffer, data: Buffer) => {
    const d = createDecipheriv('aes-256-gcm', kek, data.subarray(0, 12));
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
  };
  const unary = <Req, Res>(
    reqCodec: { decode(b: Buffer): Req },
    resCodec: { encode(v: Res): Buffer },
    handle: (req: Req) => Res,
  ): grpc.MethodDefinition<Req, Res> & { handler: grpc.handleUnaryCall<Req, Res> } => ({
    path: '',
    requestStream: false,
    responseStream: false,
    requestSerialize: () => Buffer.alloc(0),
    requestDeserialize: (b: Buffer) => reqCodec.decode(b),
    responseSerialize: (v: Res) => resCodec.encode(v),
    responseDeserialize: () => ({}) as Res,
    handler: (call, cb) => {
      try {
        cb(null, handle(call.request));
      } catch (err) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: (err as Error).message });
      }
    },
  });
  const plugin: TestKmsPlugin = {
    endpoint: `unix://${socketPath}`,
    calls: { status: 0, encrypt: 0, decrypt: 0 },
    healthz: 'ok',
    rotate(id) {
      keks.set(id, randomBytes(32));
      current = id;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((r) => s.tryShutdown(() => r()));
      s?.forceShutdown();
      rmSync(socketPath, { force: true });
    },
    async start() {
      const methods = {
        Status: unary(messages.StatusRequest, messages.StatusResponse, () => {
          plugin.calls.status++;
          return { version: 'v2', healthz: plugin.healthz, key_id: current };
        }),
        Encrypt: unary(messages.EncryptRequest, messages.EncryptResponse, (req: EncryptRequest) => {
          plugin.calls.encrypt++;
          return { ciphertext: seal(keks.get(current)!, req.plaintext), key_id: current, annotations: { 'kek.kms.portcullis.test': Buffer.from(current) } };
        }),
        Decrypt: unary(messages.DecryptRequest, messages.DecryptResponse, (req: DecryptRequest) => {
          plugin.calls.decrypt++;
          const kek = keks.get(req.key_id);
          if (!kek) throw new Error(`unknown key id ${req.key_id}`);
          return { plaintext: open(kek, req.ciphertext) };
        }),
      };
      const s = new grpc.Server();
      const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
      const impl: grpc.UntypedServiceImplementation = {};
      for (const [name, m] of Object.entries(methods)) {
        const { handler, ...def } = m as { handler: grpc.handleUnaryCall<unknown, unknown> } & grpc.MethodDefinition<unknown, unknown>;
        definition[name] = { ...def, path: `${SERVICE_PATH}/${name}` };
        impl[name] = handler;
      }
      s.addService(definition as grpc.ServiceDefinition, impl);
      rmSync(socketPath, { force: true });
      await new Promise<void>((resolve, reject) => s.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
      server = s;
    },
  };
  await plugin.start();
  return plugin;
}
