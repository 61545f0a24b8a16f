/** --authorization-mode values, as kube-apiserver names them, and Portcullis's Casbin (src/authz/casbin). */
export const AUTHORIZATION_MODES = ['AlwaysAllow', 'AlwaysDeny', 'RBAC', 'Node', 'ABAC', 'Webhook', 'Casbin'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];

export function parseAuthorizationModes(values: string[]): AuthorizationMode[] {
  const modes = values.length ? values : ['Node', 'RBAC'];
  const seen = new Set<string>();
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) throw new Error(`--authorization-mode: unknown mode "${m}" (known: ${AUTHORIZATION_MODES.join(', ')})`);
    if (seen.has(m)) throw new Error(`--authorization-mode: "${m}" given twice`);
    seen.add(m);
  }
  return modes as AuthorizationMode[];
}
