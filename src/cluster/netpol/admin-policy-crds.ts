/**
 * The admin network policy kinds (policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy and
 * BaselineAdminNetworkPolicy) are CRDs upstream too: the control plane installs the definitions in
 * policies/crds through the API, as an addon, when they are missing (an administrator's changes to
 * them stand). Node agents enforce them (enforcer.ts); `netpol analyze --live` reads them.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isAlreadyExists } from '../client/errors.ts';
import type { ApiClient, K8sObject, ResourceRef } from '../client/types.ts';

const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false };
const FILES = ['policy.networking.k8s.io_adminnetworkpolicies.yaml', 'policy.networking.k8s.io_baselineadminnetworkpolicies.yaml'];

export function adminPolicyCrds(): K8sObject[] {
  return FILES.map((f) => parse(readFileSync(new URL(`../../../policies/crds/${f}`, import.meta.url), 'utf8')) as K8sObject);
}

export async function ensureAdminPolicyCrds(client: ApiClient): Promise<Array<'created' | 'present'>> {
  const out: Array<'created' | 'present'> = [];
  for (const crd of adminPolicyCrds()) {
    try {
      await client.create(CRDS, '', crd);
      out.push('created');
    } catch (err) {
      if (!isAlreadyExists(err)) throw new Error(`installing CustomResourceDefinition ${crd.metadata.name}: ${(err as Error).message}`);
      out.push('present');
    }
  }
  return out;
}
