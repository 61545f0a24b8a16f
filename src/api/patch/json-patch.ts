/**
 * JSON Patch (RFC 6902, application/json-patch+json) as kube-apiserver applies it: a body that is
 * not a list of operations is a 400, more than 10,000 operations a 413, and any operation that
 * cannot be applied (failed test, missing path, unknown op) a 422 with upstream's generic message.
 */
import { badRequest } from '../errors.ts';
import { goJsonKind } from './go-format.ts';
import { parseArrayIndex, parsePointer } from './json-pointer.ts';
import { jsonEqual } from '../json-equal.ts';
import { cloneJson, deeperThan, getKey, hasKey, isObject, putKey, removeKey } from './json-value.ts';
import type { JsonObject, JsonValue } from './json-value.ts';
import { entityTooLarge, unprocessable } from './patch-errors.ts';

/** apiserver handlers/patch.go maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/**
 * Operations can nest a document one path segment at a time, far deeper than the patch body.
 * Go's JSON decoder, which upstream runs on the result, stops at the same depth.
 */
export const MAX_RESULT_DEPTH = 10000;

/** Validates the shape of a decoded JSON patch, as Go's decoding into jsonpatch.Patch would. */
export function decodeJsonPatch(patch: JsonValue): JsonObject[] {
  if (patch === null) return []; // Go decodes null into an empty patch
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`);
  }
  const ops: JsonObject[] = [];
  for (const op of patch) {
    if (op === null) ops.push({});
    else if (isObject(op)) ops.push(op);
    else throw badRequest(`json: cannot unmarshal ${goJsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw entityTooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops;
}

/** Applies a decoded JSON patch to a copy of `original`. */
export function applyJsonPatch(original: JsonValue, patch: JsonValue): JsonValue {
  const ops = decodeJsonPatch(patch);
  const doc = cloneJson(original);
  for (const op of ops) {
    const failure = applyOperation(doc, op);
    if (failure !== undefined) throw unprocessable(failure);
  }
  if (deeperThan(doc, MAX_RESULT_DEPTH)) throw unprocessable(`the patched document is nested deeper than ${MAX_RESULT_DEPTH} levels`);
  return doc;
}

type Container = JsonObject | JsonValue[];
/** A parent container and the last token of a path, or the reason the path does not resolve. */
type Target = { parent: Container; key: string } | { error: string };

/** Applies one operation in place; returns why it failed, if it did. */
function applyOperation(doc: JsonValue, op: JsonObject): string | undefined {
  const kind = stringMember(op, 'op') ?? 'unknown';
  const path = stringMember(op, 'path');
  const from = stringMember(op, 'from');
  const needsValue = kind === 'add' || kind === 'replace' || kind === 'test';
  if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(kind)) return `Unexpected kind: ${kind}`;
  if (path === undefined) return `${kind} operation: missing or invalid path field`;
  if ((kind === 'move' || kind === 'copy') && from === undefined) return `${kind} operation: missing from field`;
  if (needsValue && !hasKey(op, 'value')) return `${kind} operation: missing value field`;
  const value = getKey(op, 'value') ?? null;

  switch (kind) {
    case 'add':
      return withTarget(doc, path, (t) => addAt(t, cloneJson(value)));
    case 'remove':
      return withTarget(doc, path, (t) => removeAt(t));
    case 'replace':
      return withTarget(doc, path, (t) => replaceAt(t, cloneJson(value)));
    case 'test':
      return withTarget(doc, path, (t) => {
        const cur = readAt(t);
        return cur !== undefined && jsonEqual(cur, value) ? undefined : `testing value ${path} failed`;
      });
    case 'copy':
      return moveOrCopy(doc, from as string, path, false);
    default:
      return moveOrCopy(doc, from as string, path, true);
  }
}

function moveOrCopy(doc: JsonValue, from: string, path: string, move: boolean): string | undefined {
  const kind = move ? 'move' : 'copy';
  if (move && from === path) return withTarget(doc, from, (t) => (readAt(t) === undefined ? missing(from) : undefined));
  if (move && path.startsWith(`${from}/`)) return `move operation: cannot move ${from} into its own child ${path}`;
  const source = resolve(doc, from);
  if ('error' in source) return `${kind} operation does not apply: doc is missing from path: ${from}`;
  const value = readAt(source);
  if (value === undefined) return `${kind} operation does not apply: doc is missing from path: ${from}`;
  if (move) removeAt(source);
  return withTarget(doc, path, (t) => addAt(t, move ? value : cloneJson(value)));
}

function withTarget(
  doc: JsonValue,
  path: string,
  fn: (t: { parent: Container; key: string }) => string | undefined,
): string | undefined {
  const t = resolve(doc, path);
  return 'error' in t ? t.error : fn(t);
}

/** Finds the container that holds the last token of `path`. The root itself is never a target. */
function resolve(doc: JsonValue, path: string): Target {
  const tokens = parsePointer(path);
  if (tokens === undefined) return { error: `invalid JSON pointer: "${path}"` };
  if (tokens.length === 0) return { error: `doc is missing path: "${path}"` };
  let cur: JsonValue | undefined = doc;
  for (const token of tokens.slice(0, -1)) {
    cur = child(cur, token);
    if (cur === undefined) return { error: `doc is missing path: "${path}"` };
  }
  if (!Array.isArray(cur) && !isObject(cur)) return { error: `doc is missing path: "${path}"` };
  return { parent: cur, key: tokens[tokens.length - 1] as string };
}

function child(cur: JsonValue | undefined, token: string): JsonValue | undefined {
  if (Array.isArray(cur)) {
    const i = parseArrayIndex(token);
    return i !== undefined && i < cur.length ? cur[i] : undefined;
  }
  return isObject(cur) ? getKey(cur, token) : undefined;
}

function readAt(t: { parent: Container; key: string }): JsonValue | undefined {
  return child(t.parent, t.key);
}

function addAt(t: { parent: Container; key: string }, value: JsonValue): string | undefined {
  if (!Array.isArray(t.parent)) {
    putKey(t.parent, t.key, value);
    return undefined;
  }
  const i = t.key === '-' ? t.parent.length : parseArrayIndex(t.key);
  if (i === undefined || i > t.parent.length) return `Unable to access invalid index: ${t.key}`;
  t.parent.splice(i, 0, value);
  return undefined;
}

function removeAt(t: { parent: Container; key: string }): string | undefined {
  if (!Array.isArray(t.parent)) {
    if (!hasKey(t.parent, t.key)) return `Unable to remove nonexistent key: ${t.key}: missing value`;
    removeKey(t.parent, t.key);
    return undefined;
  }
  const i = parseArrayIndex(t.key);
  if (i === undefined || i >= t.parent.length) return `Unable to access invalid index: ${t.key}`;
  t.parent.splice(i, 1);
  return undefined;
}

function replaceAt(t: { parent: Container; key: string }, value: JsonValue): string | undefined {
  if (readAt(t) === undefined) return `replace operation does not apply: doc is missing key: ${t.key}: missing value`;
  if (Array.isArray(t.parent)) t.parent[Number(t.key)] = value;
  else putKey(t.parent, t.key, value);
  return undefined;
}

function missing(path: string): string {
  return `doc is missing path: "${path}"`;
}

function stringMember(op: JsonObject, name: string): string | undefined {
  const v = getKey(op, name);
  return typeof v === 'string' ? v : undefined;
}
