/**
 * The path and mode checks of upstream's validateVolumeSource (pkg/apis/core/validation) for the
 * volume sources a node writes or mounts: hostPath (validateHostPathVolumeSource: no `..`
 * element, a supported type), secret and configMap items (validateKeyToPath), downwardAPI files
 * and projected sources (validateDownwardAPIVolumeFile, validateProjectionSources: relative, no
 * `..` element, not starting with `..`, modes within 0-0777, no path twice in one projection).
 * Without them a pod could name `/var/log/../../etc` and pass an admission policy that allows
 * hostPath under /var/log/ only, as every prefix-based allow-list does (they rely on the API
 * refusing `..`, as kube-apiserver does).
 */
import type { DownwardAPIVolumeFile, KeyToPath, Volume } from 'kubernetes-types/core/v1.js';
import { forbidden, invalid, notSupported, required, type FieldError, type Path } from '../field-errors.ts';
import { validateObjectFieldSelector, VOLUME_FIELD_PATHS } from './field-selector-ref.ts';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

/** sets.List(supportedHostPathTypes): sorted, the unset type first. */
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

/** validatePathNoBacksteps: one error however many `..` elements. */
export function validatePathNoBacksteps(target: string, p: Path): FieldError[] {
  return target.split('/').includes('..') ? [invalid(p, target, "must not contain '..'")] : [];
}

/** validateLocalDescendingPath: relative, no `..` element. */
function validateLocalDescendingPath(target: string, p: Path): FieldError[] {
  const errs: FieldError[] = target.startsWith('/') ? [invalid(p, target, 'must be a relative path')] : [];
  return [...errs, ...validatePathNoBacksteps(target, p)];
}

/** ValidateLocalNonReservedPath: also not starting with `..` (the writer's own `..data`), unless `../` said it already. */
export function validateLocalNonReservedPath(target: string, p: Path): FieldError[] {
  const errs = validateLocalDescendingPath(target, p);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(invalid(p, target, "must not start with '..'"));
  return errs;
}

const badMode = (mode: number | undefined | null): mode is number => typeof mode === 'number' && (mode > 0o777 || mode < 0);

function validateMode(mode: number | undefined | null, p: Path): FieldError[] {
  return badMode(mode) ? [invalid(p, mode, FILE_MODE_ERROR)] : [];
}

function validateKeyToPath(kp: KeyToPath, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(required(p.child('key')));
  if (!kp.path) errs.push(required(p.child('path')));
  errs.push(...validateLocalNonReservedPath(kp.path ?? '', p.child('path')));
  errs.push(...validateMode(kp.mode, p.child('mode')));
  return errs;
}

/** validateDownwardAPIVolumeFile's path and mode (errors at the volume's path, as upstream, not the item's). */
function validateDownwardAPIFile(file: DownwardAPIVolumeFile, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!file.path) errs.push(required(p.child('path')));
  errs.push(...validateLocalNonReservedPath(file.path ?? '', p.child('path')));
  if (file.fieldRef) errs.push(...validateObjectFieldSelector(file.fieldRef, VOLUME_FIELD_PATHS, p.child('fieldRef')));
  if (!file.fieldRef && !file.resourceFieldRef) errs.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
  else if (file.fieldRef && file.resourceFieldRef) errs.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  errs.push(...validateMode(file.mode, p.child('mode')));
  return errs;
}

function validateProjected(vol: NonNullable<Volume['projected']>, p: Path): FieldError[] {
  const errs = validateMode(vol.defaultMode, p.child('defaultMode'));
  const seen = new Set<string>();
  const claim = (at: string, value: string) => {
    if (!seen.has(at)) seen.add(at);
    else errs.push(invalid(p, value, 'conflicting duplicate paths'));
  };
  (vol.sources ?? []).forEach((src, i) => {
    const sp = p.child('sources').index(i);
    let kinds = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const s = src[kind];
      if (!s) continue;
      kinds++;
      const kp = sp.child(kind);
      if (!s.name) errs.push(required(kp.child('name')));
      (s.items ?? []).forEach((item, j) => {
        errs.push(...validateKeyToPath(item, kp.child('items').index(j)));
        if (item.path) claim(item.path, s.name ?? '');
      });
    }
    if (src.downwardAPI) {
      kinds++;
      for (const file of src.downwardAPI.items ?? []) {
        errs.push(...validateDownwardAPIFile(file, sp.child('downwardAPI')));
        if (file.path) claim(file.path, file.path);
      }
    }
    const token = src.serviceAccountToken;
    if (token) {
      kinds++;
      const tp = sp.child('serviceAccountToken');
      const secs = token.expirationSeconds;
      if (typeof secs === 'number' && secs < 600) errs.push(invalid(tp.child('expirationSeconds'), secs, 'may not specify a duration less than 10 minutes'));
      if (typeof secs === 'number' && secs > 2 ** 32) errs.push(invalid(tp.child('expirationSeconds'), secs, 'may not specify a duration larger than 2^32 seconds'));
      if (!token.path) errs.push(required(p.child('path')));
      else errs.push(...validateLocalNonReservedPath(token.path, p.child('path')));
    }
    if (kinds > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type'));
  });
  return errs;
}

/** validateHostPathVolumeSource for a present path (a pod's volume or a PersistentVolume's source at `p`): no `..` element, a supported type. */
export function validateHostPathSource(hostPath: { path: string; type?: string | null }, p: Path): FieldError[] {
  const errs = validatePathNoBacksteps(hostPath.path, p.child('path'));
  const type = hostPath.type;
  if (type !== undefined && type !== null && !HOST_PATH_TYPES.includes(type)) errs.push(notSupported(p.child('type'), type, HOST_PATH_TYPES));
  return errs;
}

/** The checks above for one volume, at spec.volumes[i] (`p`). */
export function validateVolumeSourcePaths(vol: Volume, p: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (vol.hostPath?.path) errs.push(...validateHostPathSource(vol.hostPath, p.child('hostPath')));
  for (const [kind, src] of [['secret', vol.secret], ['configMap', vol.configMap]] as const) {
    if (!src) continue;
    errs.push(...validateMode(src.defaultMode, p.child(kind, 'defaultMode')));
    (src.items ?? []).forEach((item, j) => errs.push(...validateKeyToPath(item, p.child(kind, 'items').index(j))));
  }
  if (vol.downwardAPI) {
    errs.push(...validateMode(vol.downwardAPI.defaultMode, p.child('downwardAPI', 'defaultMode')));
    for (const file of vol.downwardAPI.items ?? []) errs.push(...validateDownwardAPIFile(file, p.child('downwardAPI')));
  }
  if (vol.projected) errs.push(...validateProjected(vol.projected, p.child('projected')));
  return errs;
}
