/**
 * Strategic merge patch errors with upstream's texts (k8s.io/apimachinery/pkg/util/mergepatch) and
 * the codes kube-apiserver maps them to (interpretStrategicMergePatchError): malformed directives
 * are 400, lists of lists 422, and everything else is returned by upstream as a plain Go error,
 * which the apiserver answers with 500 and the error text.
 */
import { badRequest } from '../errors.ts';
import type { ApiError } from '../errors.ts';
import { goString, goTypeName, goValue } from './go-format.ts';
import { patchServerError, unprocessable } from './patch-errors.ts';

export const DIRECTIVE_MARKER = '$patch';
export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';
export const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';

export const errBadJSONDoc = (): ApiError => badRequest('invalid JSON document');
export const errBadPatchFormatForPrimitiveList = (): ApiError => badRequest('invalid patch format of primitive list');
export const errBadPatchFormatForRetainKeys = (): ApiError => badRequest('invalid patch format of retainKeys');
export const errBadPatchFormatForSetElementOrderList = (): ApiError =>
  badRequest('invalid patch format of setElementOrder list');
export const errNoListOfLists = (): ApiError => unprocessable('lists of lists are not supported');

export function errNoMergeKey(m: unknown, key: string): ApiError {
  return patchServerError(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
}

/** mergepatch.ErrBadArgType: `expected` is the Go type name wanted. */
export function errBadArgType(expected: string, actual: unknown): ApiError {
  return patchServerError(`expected a ${expected}, but received a ${goTypeName(actual)}`);
}

export function errBadPatchType(directive: unknown, m: unknown): ApiError {
  return patchServerError(`unknown patch type: ${goString(directive)} in map: ${goValue(m)}`);
}

export function errElementTypesDiffer(slices: unknown[][]): ApiError {
  return patchServerError(`list element types are not identical: ${goValue(slices)}`);
}

export function errSetElementOrderMismatch(patchList: unknown, order: unknown): ApiError {
  return patchServerError(
    `the order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goValue(order)}`,
  );
}

export function errMergeDirectiveInList(): ApiError {
  return patchServerError('merging lists cannot yet be specified in the patch');
}

export function errNoMergeKeyForListOfMaps(typeName: string): ApiError {
  return patchServerError(`cannot merge lists without merge key for ${typeName}`);
}

/** "$setElementOrder/containers" → "containers"; a directive key without "/" is malformed (400). */
export function directiveTarget(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw prefix === SET_ELEMENT_ORDER_PREFIX
      ? errBadPatchFormatForSetElementOrderList()
      : errBadPatchFormatForPrimitiveList();
  }
  return key.slice(slash + 1);
}
