/**
 * Decoding of Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf):
 * "k8s\0", then a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding,
 * 4 contentType} whose raw is the object's own message. The result is the object's JSON view, as
 * upstream would print it after decoding into its Go struct.
 *
 * Zero values: Go writes every non-pointer scalar to the wire, so the wire cannot tell an unset
 * field from a zero one. Upstream's JSON drops "" / 0 / false of omitempty fields but keeps them
 * for pointers (replicas: 0, allowPrivilegeEscalation: false). The proto does not say which
 * fields are pointers, so: "" is dropped for +optional string fields (nearly all are omitempty
 * non-pointers; POINTER_STRINGS lists those where "" means something), while 0 and false are kept
 * (dropping a pointer's false would change meaning, e.g. weaken a securityContext; keeping a
 * non-pointer's 0 does not). Every malformed input is an ApiError 400, never a crash.
 */
import { Buffer } from 'node:buffer';
import { badRequest, internalError } from '../errors.ts';
import { formatTime } from './protobuf-time.ts';
import {
  flatBytes, flatInt, flatString, hasMagic, malformed, PROTOBUF_MAGIC, readFlat, utf8, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireReader,
} from './protobuf-wire.ts';
import { assertMaxDepth } from './depth.ts';
import { MAX_NESTING_DEPTH } from './limits.ts';
import { nestingDepth } from './nesting-depth.ts';
import { formatGoDuration } from '../../util/duration.ts';
import { QUANTITY_FORMAT_ERROR } from '../quantity.ts';
import type { FieldSchema, ObjectType, Schema } from '../schema/types.ts';

export { PROTOBUF_MAGIC } from './protobuf-wire.ts';
export const MAX_DEPTH = MAX_NESTING_DEPTH;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** *string fields where "" differs from unset (PVC: "" disables dynamic provisioning). */
const POINTER_STRINGS = new Set([
  'k8s.io.api.core.v1.PersistentVolumeClaimSpec.storageClassName',
  'k8s.io.api.core.v1.PersistentVolumeClaimSpec.volumeAttributesClassName',
]);
/** DeleteOptions is registered in every group version upstream but lives in meta/v1. */
const META_KINDS: Readonly<Record<string, string>> = { DeleteOptions: `${META}.DeleteOptions` };

/**
 * JSON carried as bytes inside the message (FieldsV1, RawExtension). It sits `depth` levels into
 * the object, so it may nest only as deep as the rest of the limit allows: bounded by its text
 * before parsing, and checked again on the whole decoded object.
 */
function parseEmbeddedJson(raw: Uint8Array | undefined, what: string, depth: number): unknown {
  if (!raw || raw.length === 0) return null;
  const text = utf8.decode(raw);
  if (depth + nestingDepth(text) > MAX_DEPTH) throw malformed(`nesting deeper than ${MAX_DEPTH} levels in ${what}`);
  try {
    return JSON.parse(text);
  } catch {
    throw malformed(`${what} is not valid JSON`);
  }
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a "__proto__" map key must stay data, not change the prototype.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

interface WireIndex {
  /** Own proto fields by number (hoisted fields excluded), and which are inline embeds. */
  byNumber: Map<number, { field: FieldSchema; inline: boolean }>;
}

class Decoder {
  readonly schema: Schema;
  readonly indexes = new WeakMap<ObjectType, WireIndex>();
  constructor(schema: Schema) {
    this.schema = schema;
  }

  index(type: ObjectType): WireIndex {
    let idx = this.indexes.get(type);
    if (!idx) {
      const byNumber = new Map<number, { field: FieldSchema; inline: boolean }>();
      for (const f of Object.values(type.fields)) if (!f.embeddedIn) byNumber.set(f.number, { field: f, inline: false });
      for (const f of type.inline ?? []) byNumber.set(f.number, { field: f, inline: true });
      idx = { byNumber };
      this.indexes.set(type, idx);
    }
    return idx;
  }

  /** The value of one element (singular value, list item or map value) of wire type `wire`. */
  element(protoType: string, r: WireReader, wire: number, depth: number): unknown {
    const expect = (w: number): void => {
      if (wire !== w) throw malformed(`wrong wireType = ${wire} for a ${protoType} value`);
    };
    switch (protoType) {
      case 'string':
        expect(WIRE_LEN);
        return utf8.decode(r.bytes());
      case 'bytes':
        expect(WIRE_LEN);
        return Buffer.from(r.bytes()).toString('base64');
      case 'bool':
        expect(WIRE_VARINT);
        return r.varint() !== 0n;
      case 'int32':
        expect(WIRE_VARINT);
        return Number(BigInt.asIntN(32, r.varint()));
      case 'int64':
        expect(WIRE_VARINT);
        return Number(BigInt.asIntN(64, r.varint()));
      case 'uint32':
        expect(WIRE_VARINT);
        return Number(BigInt.asUintN(32, r.varint()));
      case 'uint64':
        expect(WIRE_VARINT);
        return Number(r.varint());
      case 'double':
        expect(WIRE_FIXED64);
        return r.fixed(8).getFloat64(0, true);
      case 'float':
        expect(WIRE_FIXED32);
        return r.fixed(4).getFloat32(0, true);
      default:
        if (!protoType.includes('.')) throw internalError(`unsupported proto type ${protoType}`);
        expect(WIRE_LEN);
        return this.message(protoType, r.bytes(), depth + 1);
    }
  }

  message(name: string, bytes: Uint8Array, depth: number): unknown {
    if (depth > MAX_DEPTH) throw malformed(`nesting deeper than ${MAX_DEPTH} levels`);
    switch (name) {
      case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString': {
        const m = readFlat(bytes);
        const kind = flatInt(m, 1, 64);
        if (kind === 0n) return Number(flatInt(m, 2, 32));
        if (kind === 1n) return flatString(m, 3);
        throw malformed('impossible IntOrString.Type');
      }
      case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      case 'k8s.io.apimachinery.pkg.api.resource.QuantityValue': {
        const m = readFlat(bytes);
        if (!m.has(1)) return '0';
        const s = flatString(m, 1);
        if (s === '') throw badRequest(QUANTITY_FORMAT_ERROR);
        return s;
      }
      case `${META}.Time`: {
        if (bytes.length === 0) return null;
        // Upstream drops the nanos of a metav1.Time read from protobuf: its JSON has whole seconds.
        return formatTime(flatInt(readFlat(bytes), 1, 64), 0n, 0);
      }
      case `${META}.MicroTime`: {
        if (bytes.length === 0) return null;
        const m = readFlat(bytes);
        return formatTime(flatInt(m, 1, 64), flatInt(m, 2, 32), 6);
      }
      case `${META}.Duration`:
        return formatGoDuration(flatInt(readFlat(bytes), 1, 64));
      case `${META}.FieldsV1`:
        return parseEmbeddedJson(flatBytes(readFlat(bytes), 1), 'fieldsV1', depth);
      case 'k8s.io.apimachinery.pkg.runtime.RawExtension': {
        const raw = flatBytes(readFlat(bytes), 1);
        if (raw && hasMagic(raw)) return this.object(raw, depth);
        return parseEmbeddedJson(raw, 'embedded object', depth);
      }
    }
    const type = this.schema.type(name);
    if (!type) throw internalError(`no schema for proto message ${name}`);
    if (type.listWrapper) return this.wrapperItems(type, bytes, depth);
    return this.fields(type, bytes, depth);
  }

  wrapperItems(type: ObjectType, bytes: Uint8Array, depth: number): unknown[] {
    const items = type.fields.items;
    const out: unknown[] = [];
    const r = new WireReader(bytes);
    while (!r.done()) {
      const { field, wire } = r.tag();
      if (field === items.number) out.push(this.element(items.protoType ?? 'string', r, wire, depth));
      else r.skip(wire);
    }
    return out;
  }

  fields(type: ObjectType, bytes: Uint8Array, depth: number): Record<string, unknown> {
    const { byNumber } = this.index(type);
    const values = new Map<string, unknown>();
    const r = new WireReader(bytes);
    while (!r.done()) {
      const { field: number, wire } = r.tag();
      const entry = byNumber.get(number);
      if (!entry) {
        r.skip(wire); // unknown fields are skipped, as generated Go unmarshalers do
        continue;
      }
      const f = entry.field;
      const protoType = f.protoType ?? 'string';
      if (entry.inline) {
        if (wire !== WIRE_LEN) throw malformed(`wrong wireType = ${wire} for field ${f.name}`);
        const embedded = this.message(protoType, r.bytes(), depth + 1) as Record<string, unknown>;
        for (const [k, v] of Object.entries(embedded)) values.set(k, v);
      } else if (f.type.kind === 'map') {
        if (wire !== WIRE_LEN) throw malformed(`wrong wireType = ${wire} for field ${f.name}`);
        const map = (values.get(f.name) as Record<string, unknown> | undefined) ?? {};
        this.mapEntry(protoType, r.bytes(), map, depth);
        values.set(f.name, map);
      } else if (f.type.kind === 'list' && !protoType.includes('.') && wire === WIRE_LEN && protoType !== 'string' && protoType !== 'bytes') {
        // Packed repeated scalars: accepted on input as protobuf requires, though Go writes them unpacked.
        const list = (values.get(f.name) as unknown[] | undefined) ?? [];
        const sub = r.bytes();
        const pr = new WireReader(sub);
        const w = protoType === 'double' ? WIRE_FIXED64 : protoType === 'float' ? WIRE_FIXED32 : WIRE_VARINT;
        while (!pr.done()) list.push(this.element(protoType, pr, w, depth));
        values.set(f.name, list);
      } else if (f.type.kind === 'list' && !this.schema.type(protoType)?.listWrapper) {
        const list = (values.get(f.name) as unknown[] | undefined) ?? [];
        list.push(this.element(protoType, r, wire, depth));
        values.set(f.name, list);
      } else {
        values.set(f.name, this.element(protoType, r, wire, depth));
      }
    }
    const out: Record<string, unknown> = {};
    // Upstream's JSON lists fields in Go struct order, which is the schema's order.
    for (const f of Object.values(type.fields)) {
      if (!values.has(f.name)) continue;
      const v = values.get(f.name);
      if (v === '' && f.optional && !POINTER_STRINGS.has(`${type.name}.${f.name}`)) continue;
      setKey(out, f.name, v);
    }
    return out;
  }

  mapEntry(valueType: string, bytes: Uint8Array, into: Record<string, unknown>, depth: number): void {
    const r = new WireReader(bytes);
    let key = '';
    let value: unknown;
    while (!r.done()) {
      const { field, wire } = r.tag();
      if (field === 1) {
        if (wire !== WIRE_LEN) throw malformed(`wrong wireType = ${wire} for a map key`);
        key = utf8.decode(r.bytes());
      } else if (field === 2) {
        value = this.element(valueType, r, wire, depth);
      } else {
        r.skip(wire);
      }
    }
    if (value === undefined) value = zeroValue(valueType, (b) => this.message(valueType, b, depth + 1));
    setKey(into, key, value);
  }

  /** A whole k8s\0 + runtime.Unknown envelope. */
  object(body: Uint8Array, depth: number): Record<string, unknown> {
    if (!hasMagic(body)) throw badRequest('unable to decode protobuf body: missing the "k8s\\x00" prefix');
    if (depth > MAX_DEPTH) throw malformed(`nesting deeper than ${MAX_DEPTH} levels`);
    const unknown = readFlat(body.subarray(PROTOBUF_MAGIC.length));
    const typeMeta = readFlat(flatBytes(unknown, 1) ?? new Uint8Array());
    const apiVersion = flatString(typeMeta, 1);
    const kind = flatString(typeMeta, 2);
    const encoding = flatString(unknown, 3);
    const contentType = flatString(unknown, 4);
    if (encoding !== '') throw badRequest(`unsupported content encoding "${encoding}" in protobuf body`);
    if (contentType !== '' && contentType !== 'application/vnd.kubernetes.protobuf') {
      throw badRequest(`unsupported content type "${contentType}" in protobuf body`);
    }
    if (kind === '') throw badRequest("Object 'Kind' is missing in protobuf body");
    if (apiVersion === '') throw badRequest("Object 'apiVersion' is missing in protobuf body");
    const parts = apiVersion.split('/');
    if (parts.length > 2) throw badRequest(`unexpected GroupVersion string: ${apiVersion}`);
    const [group, version] = parts.length === 2 ? parts : ['', parts[0]];
    const typeName = this.schema.typeNameForKind({ group, version, kind }) ?? META_KINDS[kind];
    if (!typeName) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
    const decoded = this.message(typeName, flatBytes(unknown, 2) ?? new Uint8Array(), depth + 1);
    return { kind, apiVersion, ...(decoded as Record<string, unknown>) };
  }
}

function zeroValue(protoType: string, message: (b: Uint8Array) => unknown): unknown {
  switch (protoType) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
    case 'double':
    case 'float':
      return 0;
    default:
      return message(new Uint8Array());
  }
}

/** Decodes a protobuf request body into the object's JSON view; malformed input is a 400. */
export function decodeProtobufObject(schema: Schema, body: Uint8Array): Record<string, unknown> {
  let decoder = decoders.get(schema);
  if (!decoder) {
    decoder = new Decoder(schema);
    decoders.set(schema, decoder);
  }
  const obj = decoder.object(body, 0);
  // The JSON view nests differently from the messages (inline embeds, wrapper lists, embedded
  // JSON): hold it to the same bound as a JSON body, so every decoder admits the same values.
  assertMaxDepth(obj);
  return obj;
}

/** One decoder per schema, so its per-type field-number indexes are built once. */
const decoders = new WeakMap<Schema, Decoder>();
