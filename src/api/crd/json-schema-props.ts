/**
 * apiextensions.k8s.io/v1 JSONSchemaProps as it arrives in a CRD's JSON. kubernetes-types ships the
 * shape without the x-kubernetes-* vendor extensions, which drive pruning, list semantics and
 * embedded resources, so the type is spelled out here with exactly the keys we interpret.
 */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  enum?: unknown[];
  description?: string;
  title?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  required?: string[];
  items?: JSONSchemaProps | JSONSchemaProps[];
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  multipleOf?: number;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  maxProperties?: number;
  minProperties?: number;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-validations'?: unknown[];
}

/** The JSON value kinds a decoded custom resource holds. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural schemas allow only one item schema; a tuple form is never structural, so it is ignored. */
export function itemSchema(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const items = s?.items;
  return items === undefined || Array.isArray(items) ? undefined : items;
}

/** The schema for an unknown key, or undefined when additionalProperties is absent or a bare boolean. */
export function additionalSchema(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  const ap = s?.additionalProperties;
  return typeof ap === 'object' && ap !== null ? ap : undefined;
}

/** Own-property lookup: a key like "constructor" must never resolve through the prototype. */
export function propertySchema(s: JSONSchemaProps | undefined, key: string): JSONSchemaProps | undefined {
  const props = s?.properties;
  return props !== undefined && Object.hasOwn(props, key) ? props[key] : undefined;
}
