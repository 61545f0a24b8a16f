/**
 * The validator for custom resources of one CRD version, as apiextensions' customResourceValidator
 * plus the strategy's schema checks: TypeMeta must name this CRD's kind and group/version, metadata
 * must be an object with a name (full ObjectMeta validation is the REST layer's), the body must
 * satisfy the version's openAPIV3Schema (root apiVersion/kind/metadata excluded: they are
 * validated above), replicas/selector paths of a scale subresource must hold the right types, and
 * the x-kubernetes-validations (CEL) rules must hold, when nothing above blocks them.
 */
import type { FieldError } from '../validation/field-errors.ts';
import { invalid, required } from '../validation/field-errors.ts';
import type { CustomValidator } from './types.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { isJsonObject } from './json-schema-props.ts';
import { crdKind, crdVersionInfo } from './crd-version-info.ts';
import { validateScale } from './scale-validate.ts';
import { validateAgainstSchema } from './structural-validate.ts';
import { celBlockedError, schemaHasRules, validateCelRules } from './cel-validate.ts';

export { crdVersionInfo } from './crd-version-info.ts';
export type { CrdVersionInfo, ScaleInfo } from './crd-version-info.ts';

const ROOT_META = ['apiVersion', 'kind', 'metadata'];

/** The root schema without the TypeMeta/ObjectMeta properties, which are not the schema's to judge. */
export function bodySchema(schema: JSONSchemaProps): JSONSchemaProps {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([k]) => !ROOT_META.includes(k)));
  return { ...schema, properties };
}

function validateTypeMeta(obj: Record<string, any>, group: string, version: string, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  const gv = group === '' ? version : `${group}/${version}`;
  if (obj.kind !== kind) errs.push(invalid('kind', obj.kind ?? '', `must be ${kind}`));
  if (obj.apiVersion !== gv) errs.push(invalid('apiVersion', obj.apiVersion ?? '', `must be ${gv}`));
  return errs;
}

function validateMetaPresence(obj: Record<string, any>): FieldError[] {
  const meta: unknown = obj.metadata;
  if (!isJsonObject(meta)) return [invalid('metadata', meta ?? null, 'must be an object')];
  const name = meta.name;
  if (typeof name !== 'string' || name === '') return [required('metadata.name', 'name or generateName is required')];
  return [];
}

/** Throws when the CRD does not serve `version`: a validator for it would be a configuration error. */
export function customResourceValidator(crd: object, version: string): CustomValidator {
  const info = crdVersionInfo(crd, version);
  const { group, kind } = crdKind(crd, version);
  const versions = (crd as { spec?: { versions?: { name?: unknown }[] } }).spec?.versions;
  if (!Array.isArray(versions) || !versions.some((v) => v?.name === version)) {
    throw new Error(`CustomResourceDefinition has no version ${JSON.stringify(version)}`);
  }
  const schema = info.schema === undefined ? undefined : bodySchema(info.schema);
  const full = info.schema;
  const cel = full !== undefined && schemaHasRules(full);
  return (obj, old) => {
    const typeErrs = validateTypeMeta(obj, group, version, kind);
    if (typeErrs.length > 0) return typeErrs;
    const errs = [
      ...validateMetaPresence(obj),
      ...(schema === undefined ? [] : validateAgainstSchema(schema, obj)),
      ...validateScale(obj, info.scale),
    ];
    if (cel) errs.push(...(errs.some(isBlocking) ? [celBlockedError()] : validateCelRules(full, obj, old)));
    return errs;
  };
}

/** upstream hasBlockingErr: a type mismatch or unsupported value keeps the CEL rules from running. */
function isBlocking(e: FieldError): boolean {
  return e.type === 'FieldValueNotSupported' || (e.detail ?? '').includes(' must be of type ');
}
