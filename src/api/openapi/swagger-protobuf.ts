/**
 * The Swagger 2.0 document in the protobuf form client-go asks /openapi/v2 for
 * (application/com.github.proto-openapi.spec.v2@v1.0+protobuf, gnostic's openapi.v2.Document):
 * client-go's discovery client accepts nothing else, and kubectl up to 1.27 reads patch
 * strategies and the fieldValidation parameter from it. Only the parts our documents use are
 * written; field numbers are those of gnostic's OpenAPIv2 messages. Vendor extensions travel as
 * YAML text (JSON is YAML), which is how gnostic carries them.
 */
import protobuf from 'protobufjs';
import type { Json } from './definitions.ts';

type W = protobuf.Writer;

const LEN = 2;
const VARINT = 0;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(w: W, field: number, v: unknown): void {
  if (typeof v === 'string' && v !== '') w.uint32((field << 3) | LEN).string(v);
}

function strs(w: W, field: number, v: unknown): void {
  if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') w.uint32((field << 3) | LEN).string(s);
}

function bool(w: W, field: number, v: unknown): void {
  if (v === true) w.uint32((field << 3) | VARINT).bool(true);
}

function msg(w: W, field: number, body: (w: W) => void): void {
  w.uint32((field << 3) | LEN).fork();
  body(w);
  w.ldelim();
}

/** NamedAny{name=1, value=2 Any{yaml=2}} for each x- key. */
function extensions(w: W, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-')) continue;
    msg(w, field, (n) => {
      str(n, 1, k);
      msg(n, 2, (a) => str(a, 2, JSON.stringify(v)));
    });
  }
}

/** Schema: _ref=1 format=2 description=4 required=19 additional_properties=21 type=22 items=23 all_of=24 properties=25 vendor_extension=31. */
function schema(w: W, s: Json): void {
  str(w, 1, s.$ref);
  str(w, 2, s.format);
  str(w, 4, s.description);
  strs(w, 19, s.required);
  if (isObject(s.additionalProperties)) msg(w, 21, (a) => msg(a, 1, (x) => schema(x, s.additionalProperties as Json)));
  else if (typeof s.additionalProperties === 'boolean') msg(w, 21, (a) => a.uint32((2 << 3) | VARINT).bool(s.additionalProperties as boolean));
  if (typeof s.type === 'string') msg(w, 22, (t) => str(t, 1, s.type));
  if (isObject(s.items)) msg(w, 23, (i) => msg(i, 1, (x) => schema(x, s.items as Json)));
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) if (isObject(sub)) msg(w, 24, (x) => schema(x, sub));
  if (isObject(s.properties)) {
    const props = s.properties;
    msg(w, 25, (p) => {
      for (const [name, sub] of Object.entries(props)) {
        if (!isObject(sub)) continue;
        msg(p, 1, (n) => {
          str(n, 1, name);
          msg(n, 2, (x) => schema(x, sub));
        });
      }
    });
  }
  extensions(w, 31, s);
}

/** ParametersItem{parameter=1 Parameter{body_parameter=1 | non_body_parameter=2}}. */
function parameter(w: W, p: Json): void {
  msg(w, 1, (param) => {
    if (p.in === 'body') {
      msg(param, 1, (b) => {
        str(b, 1, p.description);
        str(b, 2, p.name);
        str(b, 3, p.in);
        bool(b, 4, p.required);
        if (isObject(p.schema)) msg(b, 5, (x) => schema(x, p.schema as Json));
      });
      return;
    }
    // NonBodyParameter: query_parameter_sub_schema=3 (type=6, unique_items=20), path_parameter_sub_schema=4 (type=5, unique_items=19).
    const path = p.in === 'path';
    msg(param, 2, (nb) =>
      msg(nb, path ? 4 : 3, (q) => {
        bool(q, 1, p.required);
        str(q, 2, p.in);
        str(q, 3, p.description);
        str(q, 4, p.name);
        str(q, path ? 5 : 6, p.type);
        bool(q, path ? 19 : 20, p.uniqueItems);
      }),
    );
  });
}

/** Operation: tags=1 description=3 operation_id=5 produces=6 consumes=7 parameters=8 responses=9 schemes=10 vendor_extension=13. */
function operation(w: W, op: Json): void {
  strs(w, 1, op.tags);
  str(w, 3, op.description);
  str(w, 5, op.operationId);
  strs(w, 6, op.produces);
  strs(w, 7, op.consumes);
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObject(p)) msg(w, 8, (x) => parameter(x, p));
  if (isObject(op.responses)) {
    const responses = op.responses;
    // Responses{response_code=1 NamedResponseValue{name=1, value=2 ResponseValue{response=1 Response{description=1, schema=2 SchemaItem{schema=1}}}}}
    msg(w, 9, (rs) => {
      for (const [code, r] of Object.entries(responses)) {
        if (!isObject(r)) continue;
        msg(rs, 1, (n) => {
          str(n, 1, code);
          msg(n, 2, (rv) =>
            msg(rv, 1, (resp) => {
              str(resp, 1, r.description);
              if (isObject(r.schema)) msg(resp, 2, (si) => msg(si, 1, (x) => schema(x, r.schema as Json)));
            }),
          );
        });
      }
    });
  }
  strs(w, 10, op.schemes);
  extensions(w, 13, op);
}

const METHOD_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** Document: swagger=1 info=2 paths=8 definitions=9. */
export function encodeSwaggerDocument(doc: Json): Uint8Array {
  const w = protobuf.Writer.create();
  str(w, 1, doc.swagger);
  if (isObject(doc.info)) {
    const info = doc.info;
    msg(w, 2, (i) => {
      str(i, 1, info.title);
      str(i, 2, info.version);
    });
  }
  if (isObject(doc.paths)) {
    const paths = doc.paths;
    msg(w, 8, (ps) => {
      for (const [path, item] of Object.entries(paths)) {
        if (!isObject(item)) continue;
        msg(ps, 2, (n) => {
          str(n, 1, path);
          msg(n, 2, (pi) => {
            for (const [method, field] of Object.entries(METHOD_FIELDS)) {
              const op = item[method];
              if (isObject(op)) msg(pi, field, (x) => operation(x, op));
            }
            if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObject(p)) msg(pi, 9, (x) => parameter(x, p));
          });
        });
      }
    });
  }
  if (isObject(doc.definitions)) {
    const defs = doc.definitions;
    msg(w, 9, (d) => {
      for (const [name, s] of Object.entries(defs)) {
        if (!isObject(s)) continue;
        msg(d, 1, (n) => {
          str(n, 1, name);
          msg(n, 2, (x) => schema(x, s));
        });
      }
    });
  }
  return w.finish();
}
