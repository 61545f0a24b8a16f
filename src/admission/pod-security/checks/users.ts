/** runAsNonRoot and runAsUser (upstream policy/check_runAsNonRoot.go, check_runAsUser.go). */
import { ALLOWED, forbidden, joinQuote, pluralize } from '../format.ts';
import type { CheckDefinition, CheckResult, PodMetaLike, PodSpecLike } from '../types.ts';
import { containerName, forEachContainer, inUserNamespace } from '../visit.ts';

function runAsNonRoot10(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const setters: string[] = [];
  let podNonRoot = false;
  const pod = spec.securityContext?.runAsNonRoot;
  if (pod != null) {
    if (!pod) setters.push('pod');
    else podNonRoot = true;
  }
  const explicitlyBad: string[] = [];
  const implicitlyBad: string[] = [];
  forEachContainer(spec, (c) => {
    const value = c.securityContext?.runAsNonRoot;
    if (value != null) {
      if (!value) explicitlyBad.push(containerName(c));
    } else if (!podNonRoot) {
      implicitlyBad.push(containerName(c));
    }
  });
  if (explicitlyBad.length > 0) setters.push(`${pluralize('container', 'containers', explicitlyBad.length)} ${joinQuote(explicitlyBad)}`);
  if (setters.length > 0) {
    return forbidden('runAsNonRoot != true', `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  }
  if (implicitlyBad.length > 0) {
    return forbidden(
      'runAsNonRoot != true',
      `pod or ${pluralize('container', 'containers', implicitlyBad.length)} ${joinQuote(implicitlyBad)} must set securityContext.runAsNonRoot=true`,
    );
  }
  return ALLOWED;
}

/** From v1.35 a pod in its own user namespace (hostUsers: false) is not root on the host. */
function runAsNonRoot135(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return inUserNamespace(spec) ? ALLOWED : runAsNonRoot10(meta, spec);
}

function runAsUser123(_meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push('pod');
  const bad: string[] = [];
  forEachContainer(spec, (c) => {
    if (c.securityContext?.runAsUser === 0) bad.push(containerName(c));
  });
  if (bad.length > 0) setters.push(`${pluralize('container', 'containers', bad.length)} ${joinQuote(bad)}`);
  if (setters.length === 0) return ALLOWED;
  return forbidden('runAsUser=0', `${setters.join(' and ')} must not set runAsUser=0`);
}

function runAsUser135(meta: PodMetaLike, spec: PodSpecLike): CheckResult {
  return inUserNamespace(spec) ? ALLOWED : runAsUser123(meta, spec);
}

export const userChecks: readonly CheckDefinition[] = [
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    versions: [{ minVersion: 0, check: runAsNonRoot10 }, { minVersion: 35, check: runAsNonRoot135 }],
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    versions: [{ minVersion: 23, check: runAsUser123 }, { minVersion: 35, check: runAsUser135 }],
  },
];
