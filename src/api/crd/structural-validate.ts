/**
 * Everything a structural schema checks on a value, in upstream's order: OpenAPI value validation
 * (kube-openapi), embedded-resource TypeMeta, then list-type set/map uniqueness.
 * x-kubernetes-validations (CEL) rules are evaluated by the caller (crd-validator.ts), after these.
 */
import type { FieldError } from '../validation/field-errors.ts';
import { path } from '../validation/field-errors.ts';
import type { JSONSchemaProps } from './json-schema-props.ts';
import { validateEmbeddedResources } from './embedded-resource-validate.ts';
import { validateListSetsAndMaps } from './list-type-validate.ts';
import { openAPIValidate } from './openapi-validate.ts';

export function validateAgainstSchema(schema: JSONSchemaProps, obj: unknown, root = ''): FieldError[] {
  return [
    ...openAPIValidate(schema, obj, root),
    ...validateEmbeddedResources(schema, obj, path(root)),
    ...validateListSetsAndMaps(schema, obj, path(root)),
  ];
}
