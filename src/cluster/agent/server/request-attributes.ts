/**
 * What the agent's HTTPS server asks the API server before serving a request, as the kubelet's
 * server/auth.go: the node itself (nodes/<nodeName>) with the subresource named by the path (stats,
 * metrics, logs → log, spec, checkpoint; everything else, exec, attach, port-forward and
 * containerLogs included, is proxy) and the verb from the HTTP method. A method with no verb is
 * refused before any review (fail closed) rather than asked about with an empty verb.
 */
export interface NodeRequestAttributes {
  verb: string;
  resource: 'nodes';
  subresource: string;
  name: string;
}

const VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

const SUBPATHS: ReadonlyArray<[string, string]> = [
  ['/stats', 'stats'],
  ['/metrics', 'metrics'],
  ['/logs', 'log'],
  ['/spec', 'spec'],
  ['/checkpoint', 'checkpoint'],
];

/** Whether `path` is `prefix` or below it (the kubelet's isSubpath). */
function isSubpath(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The attributes of a request for `path` (without query), or undefined for a method with no verb. */
export function nodeRequestAttributes(nodeName: string, method: string, path: string): NodeRequestAttributes | undefined {
  const verb = VERBS[method.toUpperCase()];
  if (!verb) return undefined;
  const subresource = SUBPATHS.find(([p]) => isSubpath(path, p))?.[1] ?? 'proxy';
  return { verb, resource: 'nodes', subresource, name: nodeName };
}
