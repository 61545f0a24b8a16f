import { badRequest } from '../../api/errors.ts';
import type { RestRequest } from './context.ts';
import type { K8sObject } from './objects.ts';

/** The object's namespace defaults to the URL's and must match it (upstream's rest.BeforeCreate / BeforeUpdate). */
export function checkNamespaceMatch(req: RestRequest, obj: K8sObject): void {
  const urlNs = req.info.namespace;
  if (!req.def.namespaced) {
    // Cluster-scoped objects carry no namespace; upstream clears it silently.
    delete obj.metadata.namespace;
    return;
  }
  const bodyNs = obj.metadata.namespace;
  if (bodyNs === undefined || bodyNs === '') {
    obj.metadata.namespace = urlNs;
    return;
  }
  if (bodyNs !== urlNs) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/** On update the body's name must be the URL's. */
export function checkNameMatch(req: RestRequest, obj: K8sObject): void {
  const bodyName = obj.metadata.name;
  if (bodyName === undefined || bodyName === '') {
    obj.metadata.name = req.info.name;
    return;
  }
  if (bodyName !== req.info.name) {
    throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${req.info.name})`);
  }
}
