/**
 * Writes a response body in the negotiated format: JSON text as the REST layer produced it, YAML
 * (keys sorted, as sigs.k8s.io/yaml writes), or Kubernetes protobuf for kinds that have a protobuf
 * type. Tables and other bodies with their own content type are written as they are.
 */
import { stringify } from 'yaml';
import type { Schema } from '../api/schema/types.ts';
import { encodeProtobufObject, encodesAsProtobuf } from '../api/codecs/protobuf-encode.ts';
import { chooseFormat, PROTOBUF_CONTENT_TYPE, type OutputFormat } from './negotiate.ts';

export interface EncodedBody {
  contentType: string;
  payload: string | Uint8Array;
}

/**
 * `body` is the value, `raw` its JSON text when the REST layer already has it (then `body` may be
 * undefined). Protobuf is chosen only when the value has a protobuf type; a client that accepts
 * nothing else gets 406.
 */
export function encodeBody(schema: Schema, formats: OutputFormat[], body: unknown, raw?: string): EncodedBody {
  // JSON first in the common case, without parsing anything. Upstream's json.Encoder ends every
  // body with a newline.
  if (formats[0] === 'json') return { contentType: 'application/json', payload: withNewline(raw ?? JSON.stringify(body)) };
  const value = body !== undefined ? body : raw !== undefined ? JSON.parse(raw) : undefined;
  const format = chooseFormat(formats, encodesAsProtobuf(schema, value));
  switch (format) {
    case 'protobuf':
      return { contentType: PROTOBUF_CONTENT_TYPE, payload: encodeProtobufObject(schema, value as Record<string, unknown>) };
    case 'yaml':
      return { contentType: 'application/yaml', payload: stringify(value, { sortMapEntries: true }) };
    default:
      return { contentType: 'application/json', payload: withNewline(raw ?? JSON.stringify(value)) };
  }
}

function withNewline(json: string): string {
  return json.endsWith('\n') ? json : `${json}\n`;
}
