/**
 * Boolean query parameters as apimachinery decodes them (runtime.Convert_Slice_string_To_bool and
 * Convert_Slice_string_To_Pointer_bool): the first value decides; only `0` and `false` in any case
 * are false, and every other value present — `True` from the Python client, `1`, even the empty
 * string — is true. A stricter parser would silently turn a client's watch into a list.
 */

/** The first value of `name`, or undefined when the parameter is absent (a *bool left nil). */
export function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  return v === null ? undefined : stringBool(v);
}

/** A plain `bool` option: absent is false. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  return queryBool(query, name) ?? false;
}

export function stringBool(v: string): boolean {
  return !(v === '0' || v.toLowerCase() === 'false');
}
