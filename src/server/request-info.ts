/**
 * RequestInfo as upstream's k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory derives it
 * from the method, path and query: the attributes authorization and the REST layer decide on.
 */

import { parseFieldSelector } from '../api/selectors/field-selector.ts';
import { queryFlag } from './rest/query-bool.ts';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** get list watch create update patch delete deletecollection, or the lowercased HTTP method for non-resource requests. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  parts: string[];
  /**
   * The raw fieldSelector / labelSelector query of a list, watch or deletecollection (upstream's
   * RequestInfo.FieldSelector / LabelSelector, read for authorization with selectors): absent
   * for other verbs and for the deprecated /watch/ path form, as upstream.
   */
  fieldSelector?: string;
  labelSelector?: string;
}

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIX = 'api';
/** Subresources of namespaces that are not a namespace-scoped resource (namespaces/{name}/status). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const SELECTOR_VERBS = new Set(['list', 'watch', 'deletecollection']);

/** The path's segments, leading and trailing slashes dropped (no regex: this runs on every request). */
function splitPath(path: string): string[] {
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 47) start++;
  while (end > start && path.charCodeAt(end - 1) === 47) end--;
  return start === end ? [] : path.slice(start, end).split('/');
}

export function parseRequestInfo(method: string, rawPath: string, query: URLSearchParams): RequestInfo {
  const path = rawPath;
  // One object with every field from the start (one shape for every request).
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  const all = splitPath(path);
  // The segments still to read start at i (instead of slicing the array at each step).
  let i = 0;
  if (all.length < 1 || !API_PREFIXES.has(all[0]!)) return info;
  info.apiPrefix = all[i++]!;
  if (info.apiPrefix !== GROUPLESS_PREFIX) {
    if (all.length - i < 1) return info;
    info.apiGroup = all[i++]!;
  }
  if (all.length - i < 1) return info;
  info.apiVersion = all[i++]!;
  if (all.length - i < 1) return info;

  info.isResourceRequest = true;
  switch (method) {
    case 'POST':
      info.verb = 'create';
      break;
    case 'GET':
    case 'HEAD':
      info.verb = 'get';
      break;
    case 'PUT':
      info.verb = 'update';
      break;
    case 'PATCH':
      info.verb = 'patch';
      break;
    case 'DELETE':
      info.verb = 'delete';
      break;
    default:
      info.verb = '';
  }
  // The deprecated /watch/ path prefix.
  const verbViaPathPrefix = all[i] === 'watch';
  if (verbViaPathPrefix) {
    i++;
    if (info.verb === 'get') info.verb = 'watch';
  }

  const namespaces = all[i] === 'namespaces';
  if (namespaces && all.length - i > 1) {
    info.namespace = all[i + 1]!;
    // /namespaces/{name} and /namespaces/{name}/{status|finalize} address the namespace itself.
    if (all.length - i > 2 && !NAMESPACE_SUBRESOURCES.has(all[i + 2]!)) i += 2;
  }

  const parts = i === 0 ? all : all.slice(i);
  info.parts = parts;
  if (parts.length >= 3) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  // A namespace addressed as a resource has no namespace of its own.
  if (info.resource === 'namespaces' && parts[0] === 'namespaces' && info.name !== '' && info.namespace === info.name) {
    info.namespace = '';
  }

  if (info.name === '' && info.verb === 'get') {
    info.verb = queryFlag(query, 'watch') ? 'watch' : 'list';
    // A list or watch pinned to one name by fieldSelector=metadata.name=x (among any other
    // terms) is authorized as that name, as upstream's RequestInfo does (kubelets watch single
    // secrets this way); not for the /watch/ path form, whose verb was never get.
    info.name = pinnedName(query.get('fieldSelector'));
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  // The path-prefix watches do not take selectors consistently, so upstream leaves them out.
  if (!verbViaPathPrefix && SELECTOR_VERBS.has(info.verb)) {
    const fs = query.get('fieldSelector');
    const ls = query.get('labelSelector');
    if (fs !== null) info.fieldSelector = fs;
    if (ls !== null) info.labelSelector = ls;
  }
  // A single-object watch: /api/v1/watch/namespaces/ns/pods/name keeps verb watch.
  return info;
}

/** fields.Selector.RequiresExactMatch("metadata.name"), kept only if a valid path segment name. */
function pinnedName(fieldSelector: string | null): string {
  if (!fieldSelector) return '';
  let name: string | undefined;
  try {
    name = parseFieldSelector(fieldSelector).requiresExactMatch('metadata.name');
  } catch {
    // A selector that does not parse pins nothing; the list answers its 400.
    return '';
  }
  if (name === undefined || name === '.' || name === '..' || name.includes('/') || name.includes('%')) return '';
  return name;
}
