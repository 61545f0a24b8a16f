/**
 * One plugin's entry of an --admission-control-config-file (AdmissionConfiguration): its inline
 * `configuration`, or the document in the file its `path` names (relative to the
 * AdmissionConfiguration file, as upstream resolves it). The AdmissionConfiguration itself is
 * decoded strictly: a wrong kind or version, or an unknown field, fails naming it.
 * Each plugin decodes its own configuration from what this returns.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parseConfigYaml } from '../util/config-yaml.ts';

export const ADMISSION_CONFIG_VERSIONS = ['apiserver.config.k8s.io/v1', 'apiserver.config.k8s.io/v1alpha1', 'apiserver.k8s.io/v1alpha1'];
const ADMISSION_FIELDS = ['apiVersion', 'kind', 'plugins'];
const PLUGIN_FIELDS = ['name', 'path', 'configuration'];

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface PluginConfigDocument {
  /** The decoded configuration document. */
  config: unknown;
  /** How messages name where it came from. */
  where: string;
  /** The folder that relative file names inside it are resolved against. */
  dir: string;
}

export function readYamlFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`failed to read admission config file ${path}: ${(err as Error).message}`);
  }
  try {
    return parseConfigYaml(text);
  } catch (err) {
    throw new Error(`failed to parse ${path}: ${(err as Error).message}`);
  }
}

/** The plugin's configuration document, or undefined when the file has no entry (or an empty one) for it. */
export function readAdmissionPluginConfig(path: string, plugin: string): PluginConfigDocument | undefined {
  const doc = readYamlFile(path);
  if (!isObject(doc) || doc.kind !== 'AdmissionConfiguration' || !ADMISSION_CONFIG_VERSIONS.includes(String(doc.apiVersion))) {
    const got = isObject(doc) ? `, got kind ${JSON.stringify(String(doc.kind ?? ''))} apiVersion ${JSON.stringify(String(doc.apiVersion ?? ''))}` : '';
    throw new Error(`${path}: expected kind AdmissionConfiguration with apiVersion ${ADMISSION_CONFIG_VERSIONS[0]}${got}`);
  }
  const plugins = doc.plugins ?? [];
  if (!Array.isArray(plugins)) throw new Error(`${path}: plugins must be a list`);
  const unknown = Object.keys(doc).filter((k) => !ADMISSION_FIELDS.includes(k)).map((k) => `unknown field "${k}"`);
  plugins.forEach((p, i) => {
    if (isObject(p)) unknown.push(...Object.keys(p).filter((k) => !PLUGIN_FIELDS.includes(k)).map((k) => `unknown field "plugins[${i}].${k}"`));
  });
  if (unknown.length > 0) throw new Error(`${path}: strict decoding error: ${unknown.join(', ')}`);
  const entry = plugins.find((p): p is Obj => isObject(p) && p.name === plugin);
  if (!entry) return undefined;
  if (entry.configuration !== undefined && entry.configuration !== null) return { config: entry.configuration, where: `${path}: plugin ${plugin}`, dir: dirname(path) };
  if (typeof entry.path === 'string' && entry.path !== '') {
    const file = isAbsolute(entry.path) ? entry.path : join(dirname(path), entry.path);
    return { config: readYamlFile(file), where: file, dir: dirname(file) };
  }
  return undefined;
}
