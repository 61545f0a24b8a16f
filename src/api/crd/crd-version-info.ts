/** What serving one version of a CRD needs from its spec: schema and subresources. */
import type { JSONSchemaProps } from './json-schema-props.ts';
import { isJsonObject } from './json-schema-props.ts';

export interface ScaleInfo {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface CrdVersionInfo {
  schema?: JSONSchemaProps;
  statusSubresource: boolean;
  scale?: ScaleInfo;
}

const obj = (v: unknown): Record<string, unknown> => (isJsonObject(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function versionEntry(crd: object, version: string): Record<string, unknown> | undefined {
  const versions = obj(obj(crd).spec).versions;
  if (!Array.isArray(versions)) return undefined;
  return versions.map(obj).find((v) => v.name === version);
}

/** The version's settings; a version the CRD does not list has no schema and no subresources. */
export function crdVersionInfo(crd: object, version: string): CrdVersionInfo {
  const v = versionEntry(crd, version);
  if (v === undefined) return { statusSubresource: false };
  const schema = obj(v.schema).openAPIV3Schema;
  const sub = obj(v.subresources);
  const info: CrdVersionInfo = { statusSubresource: isJsonObject(sub.status) };
  if (isJsonObject(schema)) info.schema = schema as JSONSchemaProps;
  if (isJsonObject(sub.scale)) {
    const sc = sub.scale;
    const scale: ScaleInfo = {
      specReplicasPath: str(sc.specReplicasPath) ?? '',
      statusReplicasPath: str(sc.statusReplicasPath) ?? '',
    };
    const sel = str(sc.labelSelectorPath);
    if (sel !== undefined) scale.labelSelectorPath = sel;
    info.scale = scale;
  }
  return info;
}

/** The group/version/kind a custom resource of this CRD version must declare. */
export function crdKind(crd: object, version: string): { group: string; version: string; kind: string } {
  const spec = obj(obj(crd).spec);
  return { group: str(spec.group) ?? '', version, kind: str(obj(spec.names).kind) ?? '' };
}
