/** The resources the StatefulSet controller reads and writes. */
import { resources } from '../../client/resources.ts';

export const STATEFUL_SETS = resources.statefulsets;
export const PVCS = resources.persistentvolumeclaims;
