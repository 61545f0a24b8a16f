/**
 * The structural schema of the built-in kinds, generated from the Kubernetes protobuf schemas
 * (../shared/k8s-api) by scripts/gen-schema.ts. One description serves several consumers:
 * protobuf decoding, strategic merge patch, server-side apply field sets, unknown-field
 * detection (fieldValidation) and OpenAPI documents.
 */

/** How a list merges (from +listType / +listMapKey / +patchStrategy / +patchMergeKey markers). */
export interface ListInfo {
  /** Server-side-apply semantics: map (keyed by mapKeys), set (of scalars), atomic (replaced whole). */
  listType: 'map' | 'set' | 'atomic';
  /** For listType map: the key fields (e.g. ["containerPort", "protocol"]). */
  mapKeys?: string[];
  /** Strategic merge patch: 'merge', 'retainKeys', 'merge,retainKeys', or undefined (replace). */
  patchStrategy?: string;
  /** Strategic merge patch: merge key for lists of objects (e.g. "name"). */
  patchMergeKey?: string;
}

export type ScalarKind = 'string' | 'integer' | 'number' | 'boolean' | 'bytes';

export type TypeRef =
  | { kind: 'scalar'; scalar: ScalarKind }
  /** A message type, by its fully qualified proto name, e.g. "k8s.io.api.core.v1.PodSpec". */
  | { kind: 'object'; type: string }
  /** map<string, V> */
  | { kind: 'map'; value: TypeRef }
  | { kind: 'list'; item: TypeRef; list: ListInfo }
  /** intstr.IntOrString: a number or a string in JSON. */
  | { kind: 'int-or-string' }
  /** resource.Quantity: a string in JSON (e.g. "250m"). */
  | { kind: 'quantity' }
  /** metav1.Time / MicroTime: an RFC 3339 string in JSON. */
  | { kind: 'time' }
  /** metav1.Duration: a Go duration string. */
  | { kind: 'duration' }
  /** Free-form JSON (runtime.RawExtension, apiextensions JSON, FieldsV1): anything goes. */
  | { kind: 'any' };

export interface FieldSchema {
  /** JSON field name. */
  name: string;
  /** Protobuf field number. */
  number: number;
  type: TypeRef;
  /** Map type of a map-typed field is a struct whose fields are merged by key, default "granular". */
  mapType?: 'atomic' | 'granular';
  /**
   * The protobuf type of the field's elements on the wire: a scalar type ("int32", "int64", "bool",
   * "string", "bytes", "double", ...) or a fully qualified message name; for a list the item type,
   * for a map the value type (keys are always strings). Set for every generated field.
   */
  protoType?: string;
  /** Field-level +structType marker; overrides the message's own +structType (e.g. claimRef granular). */
  structType?: 'atomic' | 'granular';
  /** The upstream +optional marker (in practice: the Go field is omitempty or a pointer). */
  optional?: boolean;
  /**
   * Set on a field hoisted from an embedded Go struct (`json:",inline"`, e.g. Volume's VolumeSource):
   * the name of the parent's own proto field (listed in ObjectType.inline) that carries it on the
   * wire. Its `number` is a field number inside that embedded message, not inside this one.
   */
  embeddedIn?: string;
}

/** The JSON view of a message: `fields` are exactly the keys its JSON object may carry. */
export interface ObjectType {
  /** Fully qualified proto name. */
  name: string;
  fields: Record<string, FieldSchema>;
  /** +structType=atomic */
  atomic?: boolean;
  /**
   * A go-to-protobuf wrapper of a Go slice type (+protobuf.nullable, one `items` field, e.g.
   * ExtraValue, Verbs): fields of this message type are lists in JSON, the wrapper exists on the wire only.
   */
  listWrapper?: boolean;
  /**
   * Proto fields holding embedded Go structs (`json:",inline"`): absent from the JSON view, whose
   * fields are hoisted into `fields` (marked embeddedIn); needed only to decode the wire format.
   */
  inline?: FieldSchema[];
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface Schema {
  /** The message type of a top-level kind, or undefined for kinds without a built-in schema (custom resources). */
  typeNameForKind(gvk: GroupVersionKind): string | undefined;
  /** Look a message type up by fully qualified name. */
  type(name: string): ObjectType | undefined;
}
