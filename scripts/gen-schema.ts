/**
 * Generates src/api/schema/generated/schema.json from the Kubernetes .proto files in
 * ../shared/k8s-api (never copied into the project: only this compact descriptor is committed),
 * and beside it docs.json, the field descriptions (scripts/gen-docs.ts).
 *
 *   node --import tsx scripts/gen-schema.ts [path-to-shared]
 *
 * List semantics when a list carries no +listType marker follow kube-openapi's schemaconv
 * (what server-side apply uses): the first +patchStrategy is "merge" and there is a
 * +patchMergeKey -> map keyed by that key; "merge" without a key -> set; otherwise atomic.
 */
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import type { FieldSchema, ListInfo, ObjectType, TypeRef, ScalarKind } from '../src/api/schema/types.ts';
import { docsText, protoComments } from './gen-docs.ts';
import type { Omissions } from './gen-133-omissions.ts';
import OMISSIONS_133 from './k8s-133-omissions.json' with { type: 'json' };

/** The API group of each k8s.io/api/<dir> package (upstream's +groupName in each doc.go). */
export const API_GROUPS: Readonly<Record<string, string>> = {
  admission: 'admission.k8s.io',
  admissionregistration: 'admissionregistration.k8s.io',
  apidiscovery: 'apidiscovery.k8s.io',
  apiserverinternal: 'internal.apiserver.k8s.io',
  apps: 'apps',
  authentication: 'authentication.k8s.io',
  authorization: 'authorization.k8s.io',
  autoscaling: 'autoscaling',
  batch: 'batch',
  certificates: 'certificates.k8s.io',
  coordination: 'coordination.k8s.io',
  core: '',
  discovery: 'discovery.k8s.io',
  events: 'events.k8s.io',
  extensions: 'extensions',
  flowcontrol: 'flowcontrol.apiserver.k8s.io',
  imagepolicy: 'imagepolicy.k8s.io',
  networking: 'networking.k8s.io',
  node: 'node.k8s.io',
  policy: 'policy',
  rbac: 'rbac.authorization.k8s.io',
  resource: 'resource.k8s.io',
  scheduling: 'scheduling.k8s.io',
  storage: 'storage.k8s.io',
  storagemigration: 'storagemigration.k8s.io',
};

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/**
 * Protos read from <shared>/k8s-api/extra (added there later, kept apart so the main input stays
 * as it was): each directory beside the proto package whose kinds are served, and its API group.
 * apiextensions and metrics.k8s.io sit there too but are left out: CRDs are handled by their own
 * structural-schema code, and metrics.k8s.io is served by an aggregated server, not by this one.
 */
export const EXTRA_PACKAGES: ReadonlyArray<{ dir: string; protoPackage: string; group: string }> = [
  { dir: 'k8s.io/kube-aggregator/pkg/apis/apiregistration', protoPackage: 'k8s.io.kube_aggregator.pkg.apis.apiregistration', group: 'apiregistration.k8s.io' },
];

/** Messages whose JSON form is not an object (custom MarshalJSON upstream). */
export const WELL_KNOWN: Readonly<Record<string, TypeRef>> = {
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': { kind: 'int-or-string' },
  'k8s.io.apimachinery.pkg.api.resource.Quantity': { kind: 'quantity' },
  'k8s.io.apimachinery.pkg.api.resource.QuantityValue': { kind: 'quantity' },
  [`${META}.Time`]: { kind: 'time' },
  [`${META}.MicroTime`]: { kind: 'time' },
  [`${META}.Duration`]: { kind: 'duration' },
  [`${META}.FieldsV1`]: { kind: 'any' },
  'k8s.io.apimachinery.pkg.runtime.RawExtension': { kind: 'any' },
  'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON': { kind: 'any' },
};

/**
 * go-to-protobuf names a proto field after the Go field when the JSON tag differs only in case
 * (e.g. `Webhooks []ValidatingWebhook json:"webhooks"` -> proto `Webhooks`). The JSON names, from
 * upstream's types.go. DaemonEndpoint.Port really is "Port" in JSON. A capitalised proto name
 * missing here fails the generation so a new one gets looked at.
 */
export const JSON_NAMES: Readonly<Record<string, string>> = {
  'MutatingWebhookConfiguration.Webhooks': 'webhooks',
  'ValidatingWebhookConfiguration.Webhooks': 'webhooks',
  'Validation.Expression': 'expression',
  'Variable.Name': 'name',
  'Variable.Expression': 'expression',
  'DaemonEndpoint.Port': 'Port',
  // FieldsV1 is free-form JSON (well-known type "any"); its proto field never shows in JSON.
  'FieldsV1.Raw': 'Raw',
};

export function jsonName(messageName: string, protoName: string): string {
  if (!/^[A-Z]/.test(protoName)) return protoName;
  const name = JSON_NAMES[`${messageName}.${protoName}`];
  if (name === undefined) throw new Error(`${messageName}.${protoName}: JSON name unknown, add it to JSON_NAMES`);
  return name;
}

/**
 * Embedded Go structs (`json:",inline"`), by message.protoField, from upstream's types.go: the
 * proto has a field for them but their fields sit in the parent JSON object. Each entry must match
 * at least one message, so a renamed one fails the generation.
 */
export const INLINE_FIELDS: ReadonlySet<string> = new Set([
  'Volume.volumeSource',
  'PersistentVolumeSpec.persistentVolumeSource',
  'Probe.handler',
  'EphemeralContainer.ephemeralContainerCommon',
  'ConfigMapEnvSource.localObjectReference',
  'ConfigMapKeySelector.localObjectReference',
  'ConfigMapProjection.localObjectReference',
  'ConfigMapVolumeSource.localObjectReference',
  'SecretEnvSource.localObjectReference',
  'SecretKeySelector.localObjectReference',
  'SecretProjection.localObjectReference',
  'IngressRule.ingressRuleValue',
  'RuleWithOperations.rule',
  'NamedRuleWithOperations.ruleWithOperations',
  'DeviceClaimConfiguration.deviceConfiguration',
  'DeviceAllocationConfiguration.deviceConfiguration',
  'DeviceClassConfiguration.deviceConfiguration',
  'Unknown.typeMeta',
]);

const SCALARS: Readonly<Record<string, ScalarKind>> = {
  string: 'string',
  bytes: 'bytes',
  bool: 'boolean',
  double: 'number',
  float: 'number',
  int32: 'integer',
  int64: 'integer',
  uint32: 'integer',
  uint64: 'integer',
  sint32: 'integer',
  sint64: 'integer',
  fixed32: 'integer',
  fixed64: 'integer',
  sfixed32: 'integer',
  sfixed64: 'integer',
};

export interface Markers {
  /** Every `+key=value` marker; repeatable markers (listMapKey) keep all values in order. */
  values: Map<string, string[]>;
}

/** Reads the `+key=value` marker lines of a proto comment. */
export function parseMarkers(comment: string | null | undefined): Markers {
  const values = new Map<string, string[]>();
  for (const raw of (comment ?? '').split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('+')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line.slice(1) : line.slice(1, eq);
    const value = eq < 0 ? 'true' : line.slice(eq + 1);
    const list = values.get(key) ?? [];
    list.push(value);
    values.set(key, list);
  }
  return { values };
}

function marker(m: Markers, key: string): string | undefined {
  return m.values.get(key)?.[0];
}

/** List semantics from the markers, defaulting as kube-openapi's schemaconv does. */
export function listInfoFromMarkers(m: Markers): ListInfo {
  const patchStrategy = marker(m, 'patchStrategy');
  const patchMergeKey = marker(m, 'patchMergeKey');
  const explicit = marker(m, 'listType');
  const info: ListInfo = { listType: 'atomic' };
  if (explicit === 'map' || explicit === 'set' || explicit === 'atomic') {
    info.listType = explicit;
    const keys = m.values.get('listMapKey');
    if (explicit === 'map' && keys) info.mapKeys = [...keys];
  } else if (explicit !== undefined) {
    throw new Error(`unknown +listType=${explicit}`);
  } else if (patchStrategy?.split(',')[0] === 'merge') {
    if (patchMergeKey) {
      info.listType = 'map';
      info.mapKeys = [patchMergeKey];
    } else {
      info.listType = 'set';
    }
  }
  if (patchStrategy) info.patchStrategy = patchStrategy;
  if (patchMergeKey) info.patchMergeKey = patchMergeKey;
  return info;
}

/** go-to-protobuf wraps Go slice types (`type ExtraValue []string`) in a message with one `items` field. */
function isListWrapper(t: protobuf.Type): boolean {
  const fields = t.fieldsArray;
  return (
    marker(parseMarkers(t.comment), 'protobuf.nullable') === 'true' &&
    fields.length === 1 &&
    fields[0].name === 'items' &&
    fields[0].repeated
  );
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

/** The JSON view of one element (a non-repeated value, a list item or a map value). */
function elementType(f: protobuf.Field): { ref: TypeRef; protoType: string; wrapper: boolean } {
  const scalar = SCALARS[f.type];
  if (scalar !== undefined && !f.resolvedType) return { ref: { kind: 'scalar', scalar }, protoType: f.type, wrapper: false };
  const resolved = f.resolvedType;
  if (!(resolved instanceof protobuf.Type)) throw new Error(`${fullName(f)}: unsupported type ${f.type}`);
  const name = fullName(resolved);
  const known = WELL_KNOWN[name];
  if (known) return { ref: known, protoType: name, wrapper: false };
  if (isListWrapper(resolved)) {
    const item = SCALARS[resolved.fieldsArray[0].type];
    if (!item) throw new Error(`${name}: list wrapper of non-scalar`);
    return { ref: { kind: 'scalar', scalar: item }, protoType: name, wrapper: true };
  }
  return { ref: { kind: 'object', type: name }, protoType: name, wrapper: false };
}

export function fieldSchema(f: protobuf.Field): FieldSchema {
  const m = parseMarkers(f.comment);
  const el = elementType(f);
  let type: TypeRef;
  if (f instanceof protobuf.MapField) {
    if (f.keyType !== 'string') throw new Error(`${fullName(f)}: map key ${f.keyType}`);
    const value: TypeRef = el.wrapper ? { kind: 'list', item: el.ref, list: { listType: 'atomic' } } : el.ref;
    type = { kind: 'map', value };
  } else if (f.repeated || el.wrapper) {
    if (f.repeated && el.wrapper) throw new Error(`${fullName(f)}: list of list wrappers`);
    type = { kind: 'list', item: el.ref, list: listInfoFromMarkers(m) };
  } else {
    type = el.ref;
  }
  const out: FieldSchema = { name: jsonName(f.parent!.name, f.name), number: f.id, type, protoType: el.protoType };
  const mapType = marker(m, 'mapType');
  if (mapType === 'atomic' || mapType === 'granular') out.mapType = mapType;
  const structType = marker(m, 'structType');
  if (structType === 'atomic' || structType === 'granular') out.structType = structType;
  if (m.values.has('optional')) out.optional = true;
  return out;
}

function objectType(t: protobuf.Type, usedInline: Set<string>): ObjectType {
  const fields: Record<string, FieldSchema> = {};
  const inline: FieldSchema[] = [];
  const add = (fs: FieldSchema): void => {
    if (Object.hasOwn(fields, fs.name)) throw new Error(`${fullName(t)}: duplicate JSON field ${fs.name}`);
    fields[fs.name] = fs;
  };
  for (const f of t.fieldsArray) {
    const fs = fieldSchema(f);
    const key = `${t.name}.${f.name}`;
    if (!INLINE_FIELDS.has(key)) {
      add(fs);
      continue;
    }
    usedInline.add(key);
    if (!(f.resolvedType instanceof protobuf.Type) || f.repeated) throw new Error(`${key}: inline field is not a message`);
    inline.push(fs);
    // Hoist in place: Go's JSON encoder writes embedded fields where the embedded struct sits.
    for (const inner of Object.values(objectType(f.resolvedType, usedInline).fields)) add({ ...inner, embeddedIn: f.name });
  }
  const out: ObjectType = { name: fullName(t), fields };
  const m = parseMarkers(t.comment);
  if (marker(m, 'structType') === 'atomic') out.atomic = true;
  if (isListWrapper(t)) out.listWrapper = true;
  if (inline.length > 0) out.inline = inline;
  return out;
}

export interface KindEntry {
  group: string;
  version: string;
  kind: string;
  type: string;
}

/**
 * A top-level kind: a message of k8s.io.api.<dir>.<version> whose `metadata` is ObjectMeta, or
 * ListMeta for a *List. Embedded templates (PodTemplateSpec, JobTemplateSpec,
 * PersistentVolumeClaimTemplate, ResourceClaimTemplateSpec) carry ObjectMeta too but are not kinds:
 * they end in "Spec", or end in "Template" without a matching *List.
 */
export function kindOf(t: protobuf.Type, warn: (msg: string) => void): KindEntry | undefined {
  const pkg = fullName(t.parent!);
  const extra = EXTRA_PACKAGES.find((e) => pkg.startsWith(`${e.protoPackage}.`));
  const m = extra ? /\.(v[0-9a-z]+)$/.exec(pkg) : /^k8s\.io\.api\.([a-z0-9]+)\.(v[0-9a-z]+)$/.exec(pkg);
  if (!m) return undefined;
  const version = extra ? m[1] : m[2];
  const metaField = t.fields.metadata;
  const metaType = metaField?.resolvedType ? fullName(metaField.resolvedType) : '';
  const kind = t.name;
  const isObject = metaType === `${META}.ObjectMeta`;
  const isList = metaType === `${META}.ListMeta` && kind.endsWith('List');
  if (!isObject && !isList) return undefined;
  if (isObject && kind.endsWith('Spec')) return undefined;
  if (isObject && kind.endsWith('Template') && !(t.parent as protobuf.Namespace).get(`${kind}List`)) return undefined;
  const group = extra ? extra.group : API_GROUPS[m[1]];
  if (group === undefined) {
    warn(`gen-schema: no API group known for package dir "${m[1]}"; kind ${kind} left out`);
    return undefined;
  }
  return { group, version, kind, type: fullName(t) };
}

function protoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...protoFiles(p));
    else if (name.endsWith('.proto')) out.push(p);
  }
  return out;
}

function allTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const o of ns.nestedArray) {
    if (o instanceof protobuf.Type) out.push(o);
    if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) out.push(...allTypes(o));
  }
  return out;
}

interface Loaded {
  types: protobuf.Type[];
  comments: Map<string, string[]>;
}

/** Every message under a root (nested ones too), sorted by full name. */
export function protoTypes(root: protobuf.Root): protobuf.Type[] {
  return allTypes(root).sort((a, b) => cmp(fullName(a), fullName(b)));
}

/** The protos under <shared>/k8s-api/proto (and EXTRA_PACKAGES) as parsed, not yet resolved, and their raw comments. */
export function parseProtoTree(sharedDir: string): { root: protobuf.Root; comments: Map<string, string[]> } {
  const root = new protobuf.Root();
  const comments = new Map<string, string[]>();
  const extra = EXTRA_PACKAGES.flatMap((e) => protoFiles(join(sharedDir, 'k8s-api', 'extra', 'proto', e.dir)));
  for (const file of [...protoFiles(join(sharedDir, 'k8s-api', 'proto')), ...extra]) {
    const text = readFileSync(file, 'utf8');
    protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true });
    for (const [k, v] of protoComments(text)) comments.set(k, v);
  }
  return { root, comments };
}

/**
 * Messages added upstream after 1.33 that are served anyway: MutatingAdmissionPolicy and its
 * binding in admissionregistration.k8s.io/v1beta1 (upstream 1.34), the storage version of the
 * v1alpha1 kinds that 1.33 serves with the same fields (src/api/registry/builtin.ts), both served
 * only while the MutatingAdmissionPolicy plugin is enabled.
 */
export const KEPT_AFTER_133: ReadonlySet<string> = new Set(
  ['ApplyConfiguration', 'JSONPatch', 'Mutation']
    .concat(['', 'Binding'].flatMap((b) => [`MutatingAdmissionPolicy${b}`, `MutatingAdmissionPolicy${b}List`, `MutatingAdmissionPolicy${b}Spec`]))
    .map((n) => `k8s.io.api.admissionregistration.v1beta1.${n}`),
);

/**
 * Takes out of the parsed protos what Kubernetes 1.33 does not have (scripts/k8s-133-omissions.json,
 * derived by scripts/gen-133-omissions.ts from the 1.33 protos), except KEPT_AFTER_133. Every entry
 * must match, and a field kept must not refer to a message taken out (resolveAll then fails).
 */
export function omitAfter133(root: protobuf.Root, omissions: Pick<Omissions, 'packages' | 'messages' | 'fields'>): void {
  const lookup = (name: string): protobuf.ReflectionObject => {
    const o = root.lookup(name);
    if (!o) throw new Error(`k8s-133-omissions: ${name} not found in the protos`);
    return o;
  };
  for (const name of [...omissions.packages, ...omissions.messages]) {
    if (KEPT_AFTER_133.has(name)) continue;
    const o = lookup(name);
    (o.parent as protobuf.Namespace).remove(o);
  }
  for (const [message, fields] of Object.entries(omissions.fields)) {
    const t = lookup(message);
    if (!(t instanceof protobuf.Type)) throw new Error(`k8s-133-omissions: ${message} is not a message`);
    for (const f of fields) {
      const field = t.fields[f];
      if (!field) throw new Error(`k8s-133-omissions: ${message}.${f} not found in the protos`);
      t.remove(field);
    }
  }
}

/** Every message of the protos as Kubernetes 1.33 has them, sorted by name, and their raw comments. */
function loadProtos(sharedDir: string): Loaded {
  const { root, comments } = parseProtoTree(sharedDir);
  omitAfter133(root, OMISSIONS_133);
  root.resolveAll();
  return { types: protoTypes(root), comments };
}

/** The descriptor text for the protos under <shared>/k8s-api/proto: deterministic, one entry a line. */
export function generateSchema(sharedDir: string, warn: (msg: string) => void = () => {}): string {
  return schemaText(loadProtos(sharedDir).types, warn);
}

/** docs.json text (field and message descriptions) for the same protos: deterministic, one message a line. */
export function generateDocs(sharedDir: string): string {
  const { types, comments } = loadProtos(sharedDir);
  return docsText(types, comments, jsonName, INLINE_FIELDS);
}

function schemaText(types: protobuf.Type[], warn: (msg: string) => void): string {
  const kinds = types
    .map((t) => kindOf(t, warn))
    .filter((k): k is KindEntry => k !== undefined)
    .sort((a, b) => cmp(a.group, b.group) || cmp(a.version, b.version) || cmp(a.kind, b.kind));
  const kindLines = kinds.map((k) => JSON.stringify(k));
  const usedInline = new Set<string>();
  const typeLines = types.map((t) => `${JSON.stringify(fullName(t))}:${JSON.stringify(objectType(t, usedInline))}`);
  const unused = [...INLINE_FIELDS].filter((k) => !usedInline.has(k));
  if (unused.length > 0) throw new Error(`INLINE_FIELDS entries match no message: ${unused.join(', ')}`);
  return `{"kinds":[\n${kindLines.join(',\n')}\n],\n"types":{\n${typeLines.join(',\n')}\n}}\n`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(REPO_ROOT, 'src', 'api', 'schema', 'generated', 'schema.json');
export const DOCS_OUTPUT = join(REPO_ROOT, 'src', 'api', 'schema', 'generated', 'docs.json');
export const DEFAULT_SHARED = resolve(REPO_ROOT, '..', 'shared');

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const shared = resolve(process.argv[2] ?? DEFAULT_SHARED);
  const loaded = loadProtos(shared);
  const text = schemaText(loaded.types, (msg) => console.warn(msg));
  writeFileSync(OUTPUT, text);
  console.log(`wrote ${OUTPUT} (${text.length} bytes)`);
  const docs = docsText(loaded.types, loaded.comments, jsonName, INLINE_FIELDS);
  writeFileSync(DOCS_OUTPUT, docs);
  console.log(`wrote ${DOCS_OUTPUT} (${docs.length} bytes)`);
}
