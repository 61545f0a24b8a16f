/**
 * Installs the trust-policy CRDs when the API server starts (as an addon manager in Reconcile
 * mode would): created when missing, their spec put back when it differs from this version's, so
 * an upgrade brings the new schema and a hand edit cannot loosen validation for long. The CRD
 * controller then serves them like any other CRD.
 */
import type { CustomResourceDefinition } from 'kubernetes-types/apiextensions/v1.js';
import { defaultCustomResourceDefinition } from '../../api/defaults/extensions.ts';
import { validateCustomResourceDefinition } from '../../api/validation/apiextensions/crd.ts';
import { errorString } from '../../api/validation/field-errors.ts';
import { jsonEqual } from '../../api/json-equal.ts';
import { rfc3339 } from '../../api/time.ts';
import type { Store } from '../../storage/types.ts';
import { imagePolicyCrds } from './crds.ts';
import { builtinPrefix } from '../../api/registry/resource-def.ts';

const CRD_PREFIX = builtinPrefix('apiextensions.k8s.io', 'customresourcedefinitions');

export interface InstallContext {
  store: Store;
  now: () => Date;
  newUid: () => string;
}

/** The CRDs as stored: defaulted and validated (a mistake here fails the start, not a request). */
export function preparedCrds(crds: Record<string, any>[] = imagePolicyCrds()): Record<string, any>[] {
  return crds.map((crd) => {
    defaultCustomResourceDefinition(crd as CustomResourceDefinition);
    const errs = validateCustomResourceDefinition(crd as CustomResourceDefinition);
    if (errs.length > 0) throw new Error(`CRD ${crd.metadata.name} is invalid: ${errs.map(errorString).join('; ')}`);
    return crd;
  });
}

export function ensureImagePolicyCrds(ctx: InstallContext): Promise<void> {
  return installCrds(ctx, imagePolicyCrds());
}

/** Creates each CRD that is missing and puts back the spec of each that differs (other addons use it too). */
export async function installCrds(ctx: InstallContext, crds: Record<string, any>[]): Promise<void> {
  for (const crd of preparedCrds(crds)) {
    const key = CRD_PREFIX + crd.metadata.name;
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await ctx.store.get<Record<string, any>>(key);
      try {
        if (!cur) {
          const metadata = { ...crd.metadata, uid: ctx.newUid(), creationTimestamp: rfc3339(ctx.now()), generation: 1 };
          await ctx.store.create(key, { ...crd, metadata });
        } else if (!jsonEqual(cur.value.spec, crd.spec)) {
          const metadata = { ...cur.value.metadata, generation: (cur.value.metadata?.generation ?? 1) + 1 };
          await ctx.store.update(key, { ...cur.value, spec: crd.spec, metadata }, cur.modRevision);
        }
        break;
      } catch (err) {
        // Another API server of the cluster wrote it first: look again.
        const code = (err as { code?: string }).code;
        if (code !== 'KeyExists' && code !== 'Conflict') throw err;
      }
    }
  }
}
