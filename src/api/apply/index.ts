/** Server-side apply and managedFields tracking, as pure functions over JSON objects. */
export { serverSideApply, BEFORE_FIRST_APPLY_MANAGER, type ApplyOptions, type ApplyResult } from './apply.ts';
export { updateManagedFields, type Subresource, type UpdateOptions } from './update.ts';
export { validateFieldManager, fieldManagerError, FIELD_MANAGER_MAX_LENGTH, type FieldManagerCheck } from './field-manager.ts';
export { applyConflict, conflictMessage, type Conflict } from './conflict.ts';
export {
  decodeManagedFields,
  encodeManagedFields,
  describeManager,
  isResetManagedFields,
  managerIdentity,
  type ManagedFieldsEntry,
  type Managers,
  type ManagerState,
  type Operation,
} from './managed-fields.ts';
export { withDecodableManagedFields, hasUndecodableManagedFields } from './stored-managed-fields.ts';
export {
  emptySet,
  insertPath,
  setFromPaths,
  hasPath,
  isEmpty,
  union,
  difference,
  recursiveDifference,
  intersection,
  equalSets,
  setPaths,
  toFieldsV1,
  fromFieldsV1,
  type FieldSet,
  type FieldsV1,
} from './field-set.ts';
export { toFieldSet } from './to-field-set.ts';
export { compareObjects, type Comparison } from './compare.ts';
export { mergeObjects } from './merge.ts';
export { rootRef } from './shape.ts';
export { pathToString, type Path, type PathElement } from './path-element.ts';
export { capUpdateManagers, MAX_UPDATE_MANAGERS, ANCIENT_CHANGES_MANAGER } from './cap-managers.ts';
