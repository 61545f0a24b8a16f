/**
 * The 409 an apply answers when it would change fields other managers own, worded as upstream's
 * managedfields/internal/conflict.go (NewConflictError) and errors.NewApplyConflict.
 */
import { ApiError } from '../errors.ts';
import { describeManager, type ManagerState } from './managed-fields.ts';
import { pathToString, type Path } from './path-element.ts';

export interface Conflict {
  /** Manager identity (managerIdentity()), the grouping and sort key of the message. */
  id: string;
  manager: ManagerState;
  path: Path;
}

export function conflictMessage(conflicts: readonly Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0] as Conflict;
    return `Apply failed with 1 conflict: conflict with ${describeManager(c.manager)}: ${pathToString(c.path)}`;
  }
  const byManager = new Map<string, Conflict[]>();
  for (const c of conflicts) byManager.set(c.id, [...(byManager.get(c.id) ?? []), c]);
  const lines: string[] = [];
  for (const id of [...byManager.keys()].sort()) {
    const group = byManager.get(id) as Conflict[];
    lines.push(`conflicts with ${describeManager((group[0] as Conflict).manager)}:`);
    for (const c of group) lines.push(`- ${pathToString(c.path)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

export function applyConflict(conflicts: readonly Conflict[]): ApiError {
  return new ApiError(409, 'Conflict', conflictMessage(conflicts), {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${describeManager(c.manager)}`,
      field: pathToString(c.path),
    })),
  });
}
