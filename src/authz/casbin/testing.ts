/** Test helpers: an example from policies/casbin loaded as the mode loads it, and request attributes. */
import { readFileSync } from 'node:fs';
import type { AuthzAttributes } from '../types.ts';
import { CasbinEngine } from './engine.ts';
import { loadCasbinModel } from './model.ts';
import { parsePolicy } from './policy.ts';

export const EXAMPLES_DIR = new URL('../../../policies/casbin/', import.meta.url);

export function examplePaths(name: string): { model: string; policy: string } {
  return { model: new URL(`${name}/model.conf`, EXAMPLES_DIR).pathname, policy: new URL(`${name}/policy.csv`, EXAMPLES_DIR).pathname };
}

export async function engineFor(modelText: string, policyText: string, opts: { compile?: boolean } = {}): Promise<CasbinEngine> {
  const model = loadCasbinModel(modelText, 'model.conf');
  return CasbinEngine.build(model, parsePolicy(policyText, 'policy.csv', model.shapes), opts);
}

export async function exampleEngine(name: string, opts: { compile?: boolean } = {}): Promise<CasbinEngine> {
  const p = examplePaths(name);
  return engineFor(readFileSync(p.model, 'utf8'), readFileSync(p.policy, 'utf8'), opts);
}

export function attrs(user: string, groups: string[], verb: string, resource: string, namespace = '', more: Partial<AuthzAttributes> = {}): AuthzAttributes {
  return { user: { username: user, groups }, verb, isResourceRequest: true, path: '', apiGroup: '', apiVersion: 'v1', namespace, resource, subresource: '', name: '', ...more };
}
