/**
 * What an audit record may hold of a request or response body. Credentials never reach a record
 * at any level: a TokenReview's spec.token (request and echoed response), a TokenRequest's issued
 * status.token. Secrets and ConfigMaps are recorded as the policy says, as upstream does (its
 * guidance is a Metadata rule for them); managedFields go when the policy omits them.
 */

export const REDACTED = '<redacted>';

/** A copy of `obj` fit for the record; the original is never changed. */
export function recordable(obj: unknown, resource: string, subresource: string, omitManagedFields: boolean): unknown {
  if (!isObject(obj)) return obj;
  let out = obj;
  if (resource === 'tokenreviews' && isObject(out.spec) && 'token' in out.spec) out = { ...out, spec: { ...out.spec, token: REDACTED } };
  if (resource === 'serviceaccounts' && subresource === 'token' && isObject(out.status) && 'token' in out.status) out = { ...out, status: { ...out.status, token: REDACTED } };
  if (omitManagedFields) out = withoutManagedFields(out);
  return out;
}

/** Drops metadata.managedFields from an object, or from each item of a list (upstream's removeManagedFields). */
function withoutManagedFields(o: Record<string, unknown>): Record<string, unknown> {
  let out = o;
  if (isObject(out.metadata) && 'managedFields' in out.metadata) {
    const { managedFields: _drop, ...metadata } = out.metadata;
    out = { ...out, metadata };
  }
  if (Array.isArray(out.items)) out = { ...out, items: out.items.map((i) => (isObject(i) ? withoutManagedFields(i) : i)) };
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
