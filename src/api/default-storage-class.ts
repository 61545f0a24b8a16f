/**
 * Which StorageClass is the default (storage/util GetDefaultClass): the one annotated
 * storageclass.kubernetes.io/is-default-class (or the beta annotation) "true"; among several, the
 * newest, then by name. Shared by the DefaultStorageClass admission plugin and the PV binder.
 */
type StorageClass = { metadata: { name?: string; creationTimestamp?: string; annotations?: Record<string, string> } };

export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata.annotations ?? {};
  return a[ANN_DEFAULT_CLASS] === 'true' || a[ANN_BETA_DEFAULT_CLASS] === 'true';
}

export function defaultClass<T extends StorageClass>(classes: readonly T[]): T | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    return tb - ta || String(a.metadata.name).localeCompare(String(b.metadata.name));
  });
  return defaults[0];
}
