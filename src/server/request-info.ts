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

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

export function parseRequestInfo(method: string, rawPath: string, query: URLSearchParams): RequestInfo {
  const path = rawPath;
  const base: RequestInfo = {
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
  let parts = splitPath(path);
  if (parts.length < 1 || !API_PREFIXES.has(parts[0]!)) return base;
  base.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (base.apiPrefix !== GROUPLESS_PREFIX) {
    if (parts.length < 1) return base;
    base.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  if (parts.length < 1) return base;
  base.apiVersion = parts[0]!;
  parts = parts.slice(1);
  if (parts.length < 1) return base;

  const info: RequestInfo = { ...base, isResourceRequest: true };
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
  const verbViaPathPrefix = parts[0] === 'watch';
  if (verbViaPathPrefix) {
    parts = parts.slice(1);
    if (info.verb === 'get') info.verb = 'watch';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      // /namespaces/{name} and /namespaces/{name}/{status|finalize} address the namespace itself.
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) {
        parts = parts.slice(2);
      }
    }
  } else {
    info.namespace = '';
  }

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
