/**
 * The KMS v2 wire formats, field for field upstream's:
 * - the plugin API, k8s.io/kms/apis/v2/api.proto (service v2.KeyManagementService: Status,
 *   Decrypt, Encrypt), spoken over gRPC on the plugin's unix socket;
 * - what is stored, EncryptedObject of apiserver/pkg/storage/value/encrypt/envelope/kmsv2/v2
 *   (encryptedData, keyID, encryptedDEKSource, annotations, encryptedDEKSourceType).
 * Written as proto text and compiled by protobufjs, so the bytes are protobuf's, readable by
 * kube-apiserver's generated code.
 */
import protobuf from 'protobufjs';

const PROTO = `
syntax = "proto3";
package v2;

service KeyManagementService {
  rpc Status(StatusRequest) returns (StatusResponse) {}
  rpc Decrypt(DecryptRequest) returns (DecryptResponse) {}
  rpc Encrypt(EncryptRequest) returns (EncryptResponse) {}
}

message StatusRequest {}
message StatusResponse { string version = 1; string healthz = 2; string key_id = 3; }
message DecryptRequest { bytes ciphertext = 1; string uid = 2; string key_id = 3; map<string, bytes> annotations = 4; }
message DecryptResponse { bytes plaintext = 1; }
message EncryptRequest { bytes plaintext = 1; string uid = 2; }
message EncryptResponse { bytes ciphertext = 1; string key_id = 2; map<string, bytes> annotations = 3; }

enum EncryptedDEKSourceType { AES_GCM_KEY = 0; HKDF_SHA256_XNONCE_AES_GCM_SEED = 1; }
message EncryptedObject {
  bytes encryptedData = 1;
  string keyID = 2;
  bytes encryptedDEKSource = 3;
  map<string, bytes> annotations = 4;
  EncryptedDEKSourceType encryptedDEKSourceType = 5;
}
`;

const root = protobuf.parse(PROTO, { keepCase: true }).root;

export type Annotations = Record<string, Buffer>;

export interface StatusResponse {
  version: string;
  healthz: string;
  key_id: string;
}
export interface DecryptRequest {
  ciphertext: Buffer;
  uid: string;
  key_id: string;
  annotations: Annotations;
}
export interface DecryptResponse {
  plaintext: Buffer;
}
export interface EncryptRequest {
  plaintext: Buffer;
  uid: string;
}
export interface EncryptResponse {
  ciphertext: Buffer;
  key_id: string;
  annotations: Annotations;
}

export const AES_GCM_KEY = 0;
export const HKDF_SHA256_XNONCE_AES_GCM_SEED = 1;

export interface EncryptedObject {
  encryptedData: Buffer;
  keyID: string;
  encryptedDEKSource: Buffer;
  annotations: Annotations;
  encryptedDEKSourceType: number;
}

export interface Codec<T> {
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

/** A codec whose decode fills proto3 defaults (empty strings and bytes, empty maps, enum 0). */
function codec<T>(name: string): Codec<T> {
  const type = root.lookupType(`v2.${name}`);
  return {
    encode: (value) => Buffer.from(type.encode(type.fromObject(value as Record<string, unknown>)).finish()),
    decode: (bytes) => type.toObject(type.decode(bytes), { defaults: true, bytes: Buffer, enums: Number }) as T,
  };
}

export const messages = {
  StatusRequest: codec<Record<string, never>>('StatusRequest'),
  StatusResponse: codec<StatusResponse>('StatusResponse'),
  DecryptRequest: codec<DecryptRequest>('DecryptRequest'),
  DecryptResponse: codec<DecryptResponse>('DecryptResponse'),
  EncryptRequest: codec<EncryptRequest>('EncryptRequest'),
  EncryptResponse: codec<EncryptResponse>('EncryptResponse'),
  EncryptedObject: codec<EncryptedObject>('EncryptedObject'),
};

/** gRPC method paths of the service. */
export const SERVICE_PATH = '/v2.KeyManagementService';
