import { alreadyExists } from '../../api/errors.ts';
import { objectKey } from '../../api/registry/resource-def.ts';
import { StorageError } from '../../storage/types.ts';
import type { RestContext, RestRequest, RestResponse } from './context.ts';
import { decodeObject, dryRunFrom } from './decode-object.ts';
import { groupResource, toStoredValue, type K8sObject } from './objects.ts';
import { prepareForCreate, qosClass } from './prepare.ts';
import { admissionAttributes, admitDefaultValidate, trackManagedFields } from './admit.ts';
import { checkNamespaceMatch } from './namespace.ts';
import { allocateClusterIP } from './service-ip.ts';
import { allocateNodePorts } from './service-node-ports.ts';
import { apiObjectAnswer } from './serialize.ts';

/** POST: decode, mutating admission, defaults and validation, validating admission, store. */
export async function createObject(ctx: RestContext, req: RestRequest): Promise<RestResponse> {
  const obj = decodeObject(ctx, req);
  return createDecoded(ctx, req, obj, dryRunFrom(req.query.getAll('dryRun')));
}

export async function createDecoded(ctx: RestContext, req: RestRequest, obj: K8sObject, dryRun: boolean, managedFieldsDone = false): Promise<RestResponse> {
  const { def } = req;
  checkNamespaceMatch(req, obj);
  prepareForCreate(ctx, def, obj, req.user);
  const attrs = admissionAttributes(req, 'CREATE', obj, undefined, dryRun, '');
  await admitDefaultValidate(ctx, req, attrs);
  // QoS follows the resources admission may have defaulted (LimitRanger).
  if (def.group === '' && def.kind === 'Pod' && obj.status) obj.status.qosClass = qosClass(obj);
  if (!managedFieldsDone) trackManagedFields(ctx, req, obj, undefined, '');
  const name = String(obj.metadata.name);
  const key = objectKey(def, String(obj.metadata.namespace ?? ''), name);
  if (!(def.group === '' && def.kind === 'Service')) return store(ctx, req, key, name, obj, dryRun);
  const allocation = await allocateClusterIP(ctx, obj, dryRun);
  try {
    const ports = await allocateNodePorts(ctx, obj, dryRun);
    try {
      return await store(ctx, req, key, name, obj, dryRun);
    } catch (err) {
      await ports.revert();
      throw err;
    }
  } catch (err) {
    await allocation.release();
    throw err;
  }
}

async function store(ctx: RestContext, req: RestRequest, key: string, name: string, obj: K8sObject, dryRun: boolean): Promise<RestResponse> {
  const { def } = req;
  if (dryRun) {
    if (await ctx.store.get(key)) throw alreadyExists(groupResource(def), name);
    return { code: 201, body: obj };
  }
  try {
    const s = await ctx.store.create<K8sObject>(key, toStoredValue(obj, def));
    // The answer's JSON is kept with the stored value, so the watchers' ADDED events reuse it (as update.ts).
    return { code: 201, ...apiObjectAnswer(def, s) };
  } catch (err) {
    if (err instanceof StorageError && err.code === 'KeyExists') throw alreadyExists(groupResource(def), name);
    throw err;
  }
}
