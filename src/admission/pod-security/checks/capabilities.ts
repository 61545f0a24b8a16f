/** capabilities_baseline and capabilities_restricted (upstream policy/check_capabilities_*.go). */
import { ALLOWED, forbidden, joinQuote, pluralize, sortedUnique } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike } from '../types.ts';
import { containerName, forEachContainer, isWindowsPod } from '../visit.ts';

/** The container runtime's default capability set: adding these is no escalation. */
const DEFAULT_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]);

function capabilitiesBaseline(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const bad: string[] = [];
  const caps: string[] = [];
  forEachContainer(spec, (c) => {
    const add = c.securityContext?.capabilities?.add;
    if (!add) return;
    let valid = true;
    for (const cap of add) {
      if (!DEFAULT_CAPABILITIES.has(cap)) {
        valid = false;
        caps.push(cap);
      }
    }
    if (!valid) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden('non-default capabilities', [
    pluralize('container', 'containers', bad.length),
    joinQuote(bad),
    'must not include',
    joinQuote(sortedUnique(caps)),
    'in securityContext.capabilities.add',
  ].join(' '));
}

function capabilitiesRestricted122(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const caps: string[] = [];
  forEachContainer(spec, (c) => {
    const capabilities = c.securityContext?.capabilities;
    if (capabilities == null) {
      missingDropAll.push(containerName(c));
      return;
    }
    if (!(capabilities.drop ?? []).includes('ALL')) missingDropAll.push(containerName(c));
    let addedForbidden = false;
    for (const cap of capabilities.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE') {
        addedForbidden = true;
        caps.push(cap);
      }
    }
    if (addedForbidden) addingForbidden.push(containerName(c));
  });
  const details: string[] = [];
  if (missingDropAll.length > 0) {
    details.push(`${pluralize('container', 'containers', missingDropAll.length)} ${joinQuote(missingDropAll)} ` +
      'must set securityContext.capabilities.drop=["ALL"]');
  }
  if (addingForbidden.length > 0) {
    details.push(`${pluralize('container', 'containers', addingForbidden.length)} ${joinQuote(addingForbidden)} ` +
      `must not include ${joinQuote(sortedUnique(caps))} in securityContext.capabilities.add`);
  }
  return details.length === 0 ? ALLOWED : forbidden('unrestricted capabilities', details.join('; '));
}

/** From v1.25 Windows pods are exempt: API validation forbids capabilities on them. */
function capabilitiesRestricted125(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return isWindowsPod(spec) ? ALLOWED : capabilitiesRestricted122(meta, spec);
}

export const CAPABILITIES_BASELINE_ID = 'capabilities_baseline';

export const capabilityChecks: readonly CheckDefinition[] = [
  { id: CAPABILITIES_BASELINE_ID, level: 'baseline', versions: [{ minVersion: 0, check: capabilitiesBaseline }] },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minVersion: 22, check: capabilitiesRestricted122, overrides: [CAPABILITIES_BASELINE_ID] },
      { minVersion: 25, check: capabilitiesRestricted125, overrides: [CAPABILITIES_BASELINE_ID] },
    ],
  },
];
