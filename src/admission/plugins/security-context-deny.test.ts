import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdmissionChain, emptyOutcome } from '../chain.ts';
import { SecurityContextDeny } from './security-context-deny.ts';
import { podAttrs } from '../webhook/test-support.ts';

const cases: [string, Record<string, unknown>, string | undefined][] = [
  ['nothing set', { containers: [{ name: 'c' }] }, undefined],
  ['runAsNonRoot is fine', { securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', securityContext: { runAsNonRoot: true } }] }, undefined],
  ['pod supplementalGroups', { securityContext: { supplementalGroups: [] } }, 'pod.Spec.SecurityContext.SupplementalGroups is forbidden'],
  ['pod seLinuxOptions', { securityContext: { seLinuxOptions: { level: 's0' } } }, 'pod.Spec.SecurityContext.SELinuxOptions is forbidden'],
  ['pod runAsUser', { securityContext: { runAsUser: 0 } }, 'pod.Spec.SecurityContext.RunAsUser is forbidden'],
  ['pod fsGroup', { securityContext: { fsGroup: 1000 } }, 'pod.Spec.SecurityContext.FSGroup is forbidden'],
  ['init container seLinuxOptions', { initContainers: [{ name: 'i', securityContext: { seLinuxOptions: {} } }] }, 'SecurityContext.SELinuxOptions is forbidden'],
  ['container runAsUser', { containers: [{ name: 'c', securityContext: { runAsUser: 1 } }] }, 'SecurityContext.RunAsUser is forbidden'],
];

for (const [what, spec, want] of cases) {
  test(what, async () => {
    const run = new AdmissionChain([], [new SecurityContextDeny()]).validate(podAttrs({ object: { metadata: { name: 'p' }, spec } }), emptyOutcome());
    if (want) await assert.rejects(run, { code: 403, message: `pods "p" is forbidden: ${want}` });
    else await run;
  });
}
