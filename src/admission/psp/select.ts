/**
 * Choosing a PodSecurityPolicy for a pod (upstream admission/security/podsecuritypolicy
 * computeSecurityContext): policies in name order (the already-validated one first when mutation is
 * not allowed); one that admits the pod unchanged wins, else the first that admits it with
 * mutation. Only policies the user or the pod's service account may `use` count.
 */
import type { UserInfo } from '../../authn/types.ts';
import type { Authorizer } from '../../authz/types.ts';
import { type FieldError } from './field-error.ts';
import { Provider } from './provider.ts';
import { semanticEqual } from './semantic-equal.ts';

type Obj = Record<string, any>;

export interface SelectInput {
  pod: Obj;
  namespace: string;
  user: UserInfo;
  policies: Obj[];
  mutationAllowed: boolean;
  /** The policy named in the pod's kubernetes.io/psp annotation (tried first when validating). */
  hint?: string;
  authorizer: Authorizer;
  /** Called for a policy that cannot be used (bad strategy options). */
  onBadPolicy?: (name: string, err: Error) => void;
}

export type SelectResult = { pod: Obj; policy: string } | { pod: undefined; errors: FieldError[] };

/** The user a pod's service account authenticates as (upstream serviceaccount.UserInfo). */
export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return { username: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
}

async function mayUse(authorizer: Authorizer, user: UserInfo | undefined, namespace: string, name: string): Promise<boolean> {
  if (!user) return false;
  // Upstream checks the policy group, then the extensions group the resource came from.
  for (const apiGroup of ['policy', 'extensions']) {
    const r = await authorizer.authorize({
      user, verb: 'use', isResourceRequest: true, path: '', apiGroup, apiVersion: '*',
      namespace, resource: 'podsecuritypolicies', subresource: '', name,
    });
    if (r.decision === 'allow') return true;
  }
  return false;
}

export async function selectPolicy(input: SelectInput): Promise<SelectResult> {
  const { pod, namespace, user, authorizer } = input;
  const saName: string | undefined = pod.spec?.serviceAccountName || undefined;
  const sa = saName ? serviceAccountUser(namespace, saName) : undefined;
  // The service account first: the more common grant.
  const authorized = async (name: string): Promise<boolean> =>
    (await mayUse(authorizer, sa, namespace, name)) || (await mayUse(authorizer, user, namespace, name));
  const policies = [...input.policies].sort((a, b) => {
    const an: string = a.metadata?.name ?? '';
    const bn: string = b.metadata?.name ?? '';
    if (!input.mutationAllowed && input.hint !== undefined) {
      if (an === input.hint) return -1;
      if (bn === input.hint) return 1;
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
  });
  let mutated: { pod: Obj; policy: string } | undefined;
  const failures = new Map<string, FieldError[]>();
  for (const psp of policies) {
    let provider: Provider;
    try {
      provider = new Provider(psp);
    } catch (err) {
      input.onBadPolicy?.(psp.metadata?.name ?? '', err as Error);
      continue;
    }
    const copy = structuredClone(pod);
    provider.mutatePod(copy);
    const errs = provider.validatePod(copy);
    if (errs.length > 0) {
      failures.set(provider.name, errs);
      continue;
    }
    const changed = !semanticEqual(pod, copy);
    if (changed && !input.mutationAllowed) continue;
    if (!(await authorized(provider.name))) continue;
    if (!changed) return { pod: copy, policy: provider.name };
    mutated ??= { pod: copy, policy: provider.name };
  }
  if (mutated) return mutated;
  // Denied: report only the errors of policies the requester could have used.
  const errors: FieldError[] = [];
  for (const [name, errs] of failures) if (await authorized(name)) errors.push(...errs);
  return { pod: undefined, errors };
}
