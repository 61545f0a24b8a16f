/**
 * How a watch stream writes its events: JSON lines ({"type":...,"object":...}\n), or, when the
 * client prefers protobuf and the kind has a protobuf type, upstream's protobuf stream: each event
 * a meta/v1 WatchEvent whose object is a whole protobuf body, framed by a 4-byte length. Tables
 * (kubectl get -w) are always JSON. A client that accepts neither is refused before the stream
 * starts (406), as upstream negotiates the stream serializer first.
 */
import type { ResourceDef } from '../../api/registry/resource-def.ts';
import type { Schema } from '../../api/schema/types.ts';
import type { StoredObject } from '../../storage/types.ts';
import { encodeProtobufObject, protobufWatchFrame } from '../../api/codecs/protobuf-encode.ts';
import { acceptedFormats, notAcceptable, PROTOBUF_WATCH_CONTENT_TYPE } from '../negotiate.ts';
import { apiObjectJson } from './serialize.ts';
import { toApiObject, type K8sObject } from './objects.ts';
import { RecentEncodings } from '../recent-encodings.ts';

export interface WatchEncoding {
  contentType: string;
  /** One event carrying any object (bookmarks, errors, tables). */
  event(type: string, object: unknown): string | Uint8Array;
  /** One event carrying a stored object; its serialisation is shared between watchers. */
  stored(type: string, s: StoredObject<K8sObject>): string | Uint8Array;
}

export function watchEncoding(schema: Schema, def: ResourceDef, accept: string | undefined, table: boolean): WatchEncoding {
  if (!table) {
    for (const f of acceptedFormats(accept)) {
      if (f === 'json') break;
      if (f === 'protobuf' && def.typeName !== undefined) return protobufEncoding(schema, def);
    }
    if (!acceptedFormats(accept).includes('json')) throw notAcceptable();
  }
  return {
    contentType: 'application/json',
    event: (type, object) => `{"type":"${type}","object":${JSON.stringify(object)}}\n`,
    stored: (type, s) => `{"type":"${type}","object":${apiObjectJson(def, s)}}\n`,
  };
}

/** Encoded bodies per frozen stored value (the watch cache shares one per revision between watchers), recent ones only. */
const protobufCache = new RecentEncodings<{ rv: number; def: ResourceDef; body: Uint8Array }>(8192, 32 * 1024 * 1024);

function protobufEncoding(schema: Schema, def: ResourceDef): WatchEncoding {
  const body = (s: StoredObject<K8sObject>): Uint8Array => {
    const frozen = Object.isFrozen(s.value);
    const hit = frozen ? protobufCache.get(s.value) : undefined;
    if (hit && hit.rv === s.modRevision && hit.def === def) return hit.body;
    const b = encodeProtobufObject(schema, toApiObject(def, s));
    if (frozen) protobufCache.set(s.value, { rv: s.modRevision, def, body: b }, b.byteLength);
    return b;
  };
  return {
    contentType: PROTOBUF_WATCH_CONTENT_TYPE,
    event: (type, object) => protobufWatchFrame(type, encodeProtobufObject(schema, object as Record<string, unknown>)),
    stored: (type, s) => protobufWatchFrame(type, body(s)),
  };
}
