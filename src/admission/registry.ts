import type { PluginDeps } from './plugin-deps.ts';
import type { MutatingPlugin, ValidatingPlugin } from './types.ts';
import { NamespaceLifecycle } from './plugins/namespace-lifecycle.ts';
import { PodSecurity } from './plugins/pod-security.ts';

type AnyPlugin = Partial<MutatingPlugin> & Partial<ValidatingPlugin> & { readonly name: string };
type Factory = (deps: PluginDeps) => AnyPlugin;

/**
 * Every admission plugin Portcullis has, in upstream's run order (kube-apiserver's
 * AllOrderedPlugins): a plugin's place in this list is its place in the chain, whatever order
 * the flags name them in.
 */
const PLUGINS: Array<[string, Factory]> = [
  ['NamespaceLifecycle', (d) => new NamespaceLifecycle(d.store)],
  ['PodSecurity', (d) => new PodSecurity(d.store)],
];

/** Upstream's default-enabled set, restricted to the plugins we have. */
export const DEFAULT_ENABLED = new Set([
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'PodSecurity',
  'DefaultTolerationSeconds',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
]);

export function knownPlugins(): string[] {
  return PLUGINS.map(([n]) => n);
}

export interface AdmissionSelection {
  /** --enable-admission-plugins: added to the defaults. */
  enable?: string[];
  /** --disable-admission-plugins: removed from the defaults. */
  disable?: string[];
}

/**
 * The mutating and validating plugins to run, in order. An unknown name is a configuration error
 * naming it (fail at start, never silently run without a plugin someone asked for).
 */
export function buildAdmissionPlugins(sel: AdmissionSelection, deps: PluginDeps): { mutating: MutatingPlugin[]; validating: ValidatingPlugin[]; enabled: string[] } {
  const known = new Set(knownPlugins());
  const unknown = [...(sel.enable ?? []), ...(sel.disable ?? [])].filter((n) => !known.has(n));
  if (unknown.length > 0) throw new Error(`unknown admission plugins: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const both = (sel.enable ?? []).filter((n) => (sel.disable ?? []).includes(n));
  if (both.length > 0) throw new Error(`admission plugins both enabled and disabled: ${both.join(', ')}`);
  const wanted = new Set([...DEFAULT_ENABLED, ...(sel.enable ?? [])]);
  for (const n of sel.disable ?? []) wanted.delete(n);
  const mutating: MutatingPlugin[] = [];
  const validating: ValidatingPlugin[] = [];
  const enabled: string[] = [];
  for (const [name, make] of PLUGINS) {
    if (!wanted.has(name)) continue;
    const p = make(deps);
    enabled.push(name);
    if (typeof p.admit === 'function') mutating.push(p as MutatingPlugin);
    if (typeof p.validate === 'function') validating.push(p as ValidatingPlugin);
  }
  return { mutating, validating, enabled };
}
