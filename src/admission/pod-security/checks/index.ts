/** Every Pod Security Standards check, as upstream registers them (policy.DefaultChecks()). */
import type { CheckDefinition } from '../types.ts';
import { capabilityChecks } from './capabilities.ts';
import { containerFlagChecks } from './container-flags.ts';
import { hostChecks } from './host.ts';
import { profileChecks } from './profiles.ts';
import { seccompChecks } from './seccomp.ts';
import { sysctlChecks } from './sysctls.ts';
import { userChecks } from './users.ts';
import { volumeChecks } from './volumes.ts';

export const DEFAULT_CHECKS: readonly CheckDefinition[] = [
  ...capabilityChecks,
  ...containerFlagChecks,
  ...hostChecks,
  ...profileChecks,
  ...seccompChecks,
  ...sysctlChecks,
  ...userChecks,
  ...volumeChecks,
];
