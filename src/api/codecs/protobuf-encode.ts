/**
 * Encoding of API objects as Kubernetes protobuf (application/vnd.kubernetes.protobuf), the
 * reverse of protobuf.ts: "k8s\0", then a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind},
 * 2 raw = the object's own message, 3 contentEncoding, 4 contentType}. client-go controllers and
 * kubectl ask for it for built-in kinds.
 *
 * The object's JSON view is the input, walked with the generated schema: fields are written in
 * field-number order and map entries sorted by key, as Go's generated marshalers do. A field
 * absent from the JSON is not written (Go writes every non-pointer field, zero or not; a decoder
 * reads the absent field as that same zero value, so the object decodes the same).
 */
import protobuf from 'protobufjs';
import { internalError } from '../errors.ts';
import type { FieldSchema, ObjectType, Schema } from '../schema/types.ts';
import { PROTOBUF_MAGIC, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf-wire.ts';
import { MAX_NESTING_DEPTH } from './limits.ts';
import { parseGoDuration } from '../../util/duration.ts';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** Kinds registered in every group version upstream whose type lives in meta/v1. */
const META_KINDS: Readonly<Record<string, string>> = {
  Status: `${META}.Status`,
  DeleteOptions: `${META}.DeleteOptions`,
  WatchEvent: `${META}.WatchEvent`,
};

type Writer = protobuf.Writer;

function unencodable(detail: string): Error {
  return internalError(`unable to encode the object as protobuf: ${detail}`);
}

const utf8 = new TextEncoder();

/** RFC 3339 text (Go's time.Time JSON) to Unix seconds and nanoseconds. */
function parseTime(text: unknown, path: string): { seconds: number; nanos: number } {
  if (typeof text !== 'string') throw unencodable(`${path}: a time must be a string`);
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw unencodable(`${path}: not an RFC 3339 time: ${JSON.stringify(text)}`);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) throw unencodable(`${path}: not an RFC 3339 time: ${JSON.stringify(text)}`);
  return { seconds: Math.floor(ms / 1000), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function tag(w: Writer, field: number, wire: number): Writer {
  return w.uint32(((field << 3) | wire) >>> 0);
}

class Encoder {
  readonly schema: Schema;
  /** Own fields (not hoisted from an embedded struct) and inline embeds, sorted by number, per type. */
  readonly #order = new WeakMap<ObjectType, FieldSchema[]>();

  constructor(schema: Schema) {
    this.schema = schema;
  }

  order(type: ObjectType): FieldSchema[] {
    let o = this.#order.get(type);
    if (!o) {
      o = [...Object.values(type.fields).filter((f) => !f.embeddedIn), ...(type.inline ?? [])].sort((a, b) => a.number - b.number);
      this.#order.set(type, o);
    }
    return o;
  }

  /** One message's fields into `w` (without its own length prefix). */
  message(name: string, value: unknown, w: Writer, path: string, depth: number): void {
    if (depth > MAX_NESTING_DEPTH) throw unencodable(`${path}: nested deeper than ${MAX_NESTING_DEPTH} levels`);
    switch (name) {
      case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
        if (typeof value === 'number') {
          if (!Number.isInteger(value)) throw unencodable(`${path}: not an integer`);
          tag(w, 1, WIRE_VARINT).int64(0);
          tag(w, 2, WIRE_VARINT).int32(value);
          tag(w, 3, WIRE_LEN).string('');
        } else if (typeof value === 'string') {
          tag(w, 1, WIRE_VARINT).int64(1);
          tag(w, 2, WIRE_VARINT).int32(0);
          tag(w, 3, WIRE_LEN).string(value);
        } else throw unencodable(`${path}: an int-or-string must be a number or a string`);
        return;
      case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      case 'k8s.io.apimachinery.pkg.api.resource.QuantityValue':
        if (typeof value !== 'string' && typeof value !== 'number') throw unencodable(`${path}: a quantity must be a string`);
        tag(w, 1, WIRE_LEN).string(String(value));
        return;
      case `${META}.Time`:
      case `${META}.MicroTime`: {
        const t = parseTime(value, path);
        tag(w, 1, WIRE_VARINT).int64(t.seconds);
        // Upstream's metav1.Time has whole seconds on the wire; MicroTime keeps the fraction.
        tag(w, 2, WIRE_VARINT).int32(name === `${META}.Time` ? 0 : t.nanos);
        return;
      }
      case `${META}.Duration`: {
        if (typeof value !== 'string') throw unencodable(`${path}: a duration must be a string`);
        let nanos: bigint;
        try {
          nanos = parseGoDuration(value);
        } catch {
          throw unencodable(`${path}: not a duration: ${JSON.stringify(value)}`);
        }
        // protobufjs takes 64-bit integers as decimal text, exactly.
        tag(w, 1, WIRE_VARINT).int64(nanos.toString());
        return;
      }
      case `${META}.FieldsV1`:
      case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
        tag(w, 1, WIRE_LEN).bytes(utf8.encode(JSON.stringify(value)));
        return;
    }
    const type = this.schema.type(name);
    if (!type) throw unencodable(`${path}: no schema for proto message ${name}`);
    if (type.listWrapper) {
      const items = type.fields.items!;
      if (!Array.isArray(value)) throw unencodable(`${path}: expected a list`);
      for (let i = 0; i < value.length; i++) this.element(items.protoType ?? 'string', items.number, value[i], w, `${path}[${i}]`, depth);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw unencodable(`${path}: expected an object`);
    const obj = value as Record<string, unknown>;
    for (const f of this.order(type)) {
      const protoType = f.protoType ?? 'string';
      if ((type.inline ?? []).includes(f)) {
        // An embedded Go struct (json:",inline"): its fields sit in the parent's JSON object.
        w.uint32(((f.number << 3) | WIRE_LEN) >>> 0).fork();
        this.message(protoType, obj, w, path, depth + 1);
        w.ldelim();
        continue;
      }
      if (!Object.hasOwn(obj, f.name)) continue;
      const v = obj[f.name];
      if (v === null || v === undefined) continue;
      const fpath = `${path}.${f.name}`;
      if (f.type.kind === 'map') {
        if (typeof v !== 'object' || Array.isArray(v)) throw unencodable(`${fpath}: expected a map`);
        const m = v as Record<string, unknown>;
        // Go's generated marshalers write map entries sorted by key.
        for (const k of Object.keys(m).sort()) {
          w.uint32(((f.number << 3) | WIRE_LEN) >>> 0).fork();
          tag(w, 1, WIRE_LEN).string(k);
          if (m[k] !== null) this.element(protoType, 2, m[k], w, `${fpath}[${JSON.stringify(k)}]`, depth);
          w.ldelim();
        }
      } else if (f.type.kind === 'list' && !this.schema.type(protoType)?.listWrapper) {
        if (!Array.isArray(v)) throw unencodable(`${fpath}: expected a list`);
        for (let i = 0; i < v.length; i++) this.element(protoType, f.number, v[i], w, `${fpath}[${i}]`, depth);
      } else {
        this.element(protoType, f.number, v, w, fpath, depth);
      }
    }
  }

  /** One value (singular, list item or map value) as field `field`. */
  element(protoType: string, field: number, v: unknown, w: Writer, path: string, depth: number): void {
    const num = (): number => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw unencodable(`${path}: expected a number`);
      return v;
    };
    const int = (): number => {
      const n = num();
      if (!Number.isInteger(n)) throw unencodable(`${path}: expected an integer`);
      return n;
    };
    switch (protoType) {
      case 'string':
        if (typeof v !== 'string') throw unencodable(`${path}: expected a string`);
        tag(w, field, WIRE_LEN).string(v);
        return;
      case 'bytes':
        if (typeof v !== 'string') throw unencodable(`${path}: expected base64 text`);
        tag(w, field, WIRE_LEN).bytes(Buffer.from(v, 'base64'));
        return;
      case 'bool':
        if (typeof v !== 'boolean') throw unencodable(`${path}: expected a boolean`);
        tag(w, field, WIRE_VARINT).bool(v);
        return;
      case 'int32':
        tag(w, field, WIRE_VARINT).int32(int());
        return;
      case 'int64':
        tag(w, field, WIRE_VARINT).int64(int());
        return;
      case 'uint32':
        tag(w, field, WIRE_VARINT).uint32(int());
        return;
      case 'uint64':
        tag(w, field, WIRE_VARINT).uint64(int());
        return;
      case 'double':
        tag(w, field, WIRE_FIXED64).double(num());
        return;
      case 'float':
        tag(w, field, WIRE_FIXED32).float(num());
        return;
      default:
        if (!protoType.includes('.')) throw unencodable(`${path}: unsupported proto type ${protoType}`);
        w.uint32(((field << 3) | WIRE_LEN) >>> 0).fork();
        this.message(protoType, v, w, path, depth + 1);
        w.ldelim();
    }
  }
}

const encoders = new WeakMap<Schema, Encoder>();

function encoderFor(schema: Schema): Encoder {
  let e = encoders.get(schema);
  if (!e) {
    e = new Encoder(schema);
    encoders.set(schema, e);
  }
  return e;
}

/** The proto message of a top-level kind, or undefined when it has none (custom resources, Tables). */
export function protobufTypeOf(schema: Schema, apiVersion: unknown, kind: unknown): string | undefined {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  return schema.typeNameForKind({ group, version, kind }) ?? META_KINDS[kind];
}

/** Whether an object (by its apiVersion and kind) can be answered in protobuf. */
export function encodesAsProtobuf(schema: Schema, obj: unknown): boolean {
  if (obj === null || typeof obj !== 'object') return false;
  const o = obj as Record<string, unknown>;
  return protobufTypeOf(schema, o.apiVersion, o.kind) !== undefined;
}

/** The object's own message, without envelope (the raw serializer's output). */
export function encodeProtobufMessage(schema: Schema, typeName: string, obj: unknown): Uint8Array {
  const w = protobuf.Writer.create();
  encoderFor(schema).message(typeName, obj, w, '', 0);
  return w.finish();
}

/** "k8s\0" + runtime.Unknown around the object's message: the body of a protobuf response. */
export function encodeProtobufObject(schema: Schema, obj: Record<string, unknown>): Uint8Array {
  const typeName = protobufTypeOf(schema, obj.apiVersion, obj.kind);
  if (!typeName) throw unencodable(`no protobuf type for ${String(obj.apiVersion)}, Kind=${String(obj.kind)}`);
  const raw = encodeProtobufMessage(schema, typeName, obj);
  const unknown = protobuf.Writer.create();
  unknown.uint32(((1 << 3) | WIRE_LEN) >>> 0).fork();
  tag(unknown, 1, WIRE_LEN).string(String(obj.apiVersion));
  tag(unknown, 2, WIRE_LEN).string(String(obj.kind));
  unknown.ldelim();
  tag(unknown, 2, WIRE_LEN).bytes(raw);
  tag(unknown, 3, WIRE_LEN).string('');
  tag(unknown, 4, WIRE_LEN).string('');
  const body = unknown.finish();
  const out = new Uint8Array(PROTOBUF_MAGIC.length + body.length);
  out.set(PROTOBUF_MAGIC, 0);
  out.set(body, PROTOBUF_MAGIC.length);
  return out;
}

/**
 * One event of a protobuf watch stream: upstream's stream serializer writes a meta/v1 WatchEvent
 * {1 type, 2 object = RawExtension{raw = the object as a whole protobuf body}} without envelope,
 * framed by a 4-byte big-endian length (protobuf.LengthDelimitedFramer).
 */
export function protobufWatchFrame(type: string, objectBody: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  tag(w, 1, WIRE_LEN).string(type);
  w.uint32(((2 << 3) | WIRE_LEN) >>> 0).fork();
  tag(w, 1, WIRE_LEN).bytes(objectBody);
  w.ldelim();
  const event = w.finish();
  const frame = new Uint8Array(4 + event.length);
  new DataView(frame.buffer).setUint32(0, event.length, false);
  frame.set(event, 4);
  return frame;
}
