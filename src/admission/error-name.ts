import type { AdmissionAttributes } from './types.ts';

/**
 * The name upstream's admission.NewForbidden puts in its message (extractResourceName): the
 * request's, else the object's name or generateName (a create's name is not generated yet),
 * else "Unknown".
 */
export function admissionErrorName(a: AdmissionAttributes): string {
  const m = a.object?.metadata;
  return a.name || (typeof m?.name === 'string' && m.name) || (typeof m?.generateName === 'string' && m.generateName) || 'Unknown';
}
