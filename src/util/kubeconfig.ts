/**
 * The one kubeconfig reader: the webhooks' config files (authentication, authorization, audit,
 * ImagePolicyWebhook) and the components' --kubeconfig all go through it, so they agree on which
 * context is used, where relative paths point and what a bad file is told.
 *
 * Semantics are client-go's (tools/clientcmd), as k8s.io/apiserver/pkg/util/webhook loads a
 * webhook's file: the current-context names the context (there is no fallback to the only or the
 * first one: without current-context the answer is upstream's "no context chosen"); file paths
 * (certificate-authority, client-certificate, client-key, tokenFile) are relative to the
 * kubeconfig's directory (loader.go ResolveLocalPaths); `token` wins over `tokenFile` here; a
 * token file is read and trimmed, an empty one refused, and its path handed on so every client
 * re-reads it. KUBECONFIG's list of files is merged as client-go merges it
 * (loadKubeconfigFiles). Messages are validation.go's, prefixed "invalid configuration: ".
 *
 * Stricter than upstream, each on purpose, because every user of this reader sends credentials:
 * the server must be https; insecure-skip-tls-verify: true is refused (the server's certificate is
 * always verified); a context's user that does not exist is refused (client-go goes on without
 * credentials); a key without a certificate is refused (client-go drops it); fields this reader
 * does not implement (exec, auth-provider, username/password, proxy-url, ...) are refused by name
 * so a file never means less than it says; the first problem is reported, not all of them.
 *
 * No error quotes a secret: YAML errors go through parseConfigYaml (line and reason only), and
 * *-data, token and file contents are never part of a message.
 */
import { readFileSync } from 'node:fs';
import { delimiter, dirname, resolve } from 'node:path';
import { parseConfigYaml } from './config-yaml.ts';

/** What a context resolves to: where the server is, how to trust it, and who we are. */
export interface ResolvedKubeconfig {
  /** The cluster's server as written. */
  server: string;
  url: URL;
  /** PEM bundle to trust; absent means the system roots (callers that need a CA refuse that). */
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  /** `token`, or the trimmed content of `tokenFile` as read now. */
  token?: string;
  /** tokenFile made absolute: long-lived clients re-read it (client-go's cached file token source). */
  tokenFile?: string;
  /** tls-server-name: the name to check the server's certificate against. */
  tlsServerName?: string;
  contextName: string;
  clusterName: string;
  /** Empty when the context names no user. */
  userName: string;
}

type Obj = Record<string, unknown>;

const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'tls-server-name', 'insecure-skip-tls-verify', 'extensions']);
const USER_KEYS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'extensions']);
const CONTEXT_KEYS = new Set(['cluster', 'user', 'namespace', 'extensions']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads the kubeconfig at `path` and resolves its current context. Errors read
 * "<what> '<path>': <reason>", e.g. "kubeconfig 'a.yaml': invalid configuration: no context chosen".
 * One file only, as client-go's ExplicitPath (kubectl's --kubeconfig): a missing file is an error.
 */
export function loadKubeconfig(path: string, what = 'kubeconfig'): ResolvedKubeconfig {
  const fail = (why: string): never => {
    throw new Error(`${what} '${path}': ${why}`);
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(ioReason(err, path));
  }
  let doc: unknown;
  try {
    doc = parseConfigYaml(text);
  } catch (err) {
    return fail((err as Error).message);
  }
  try {
    return resolveKubeconfig(doc ?? {}, dirname(resolve(path)));
  } catch (err) {
    return fail((err as Error).message);
  }
}

/**
 * KUBECONFIG's list as client-go's NewDefaultClientConfigLoadingRules reads it: split on ':'
 * (filepath.SplitList), each path once (where it first appears), empty entries dropped.
 */
export function kubeconfigPathList(value: string): string[] {
  return [...new Set(value.split(delimiter).filter((p) => p !== ''))];
}

/**
 * Merges the kubeconfigs at `paths` as client-go's ClientConfigLoadingRules.Load does (KUBECONFIG
 * with several files) and resolves the merged current context:
 * - a file that does not exist is skipped; any other unreadable or malformed file fails the load
 *   (`error loading config file "F": ...`);
 * - for clusters, users and contexts the first file to define a name wins, whole: a later file's
 *   entry of that name is ignored, even the fields the first one lacks;
 * - current-context is the first non-empty one in file order;
 * - an entry's relative paths are resolved against the directory of the file it came from
 *   (LocationOfOrigin): a cluster from one file and a user from another each read their own.
 * Nothing loaded (every file missing or empty) is upstream's ErrEmptyConfig. Errors read
 * "<what> '<a:b>': <reason>".
 */
export function loadKubeconfigFiles(paths: readonly string[], what = 'KUBECONFIG'): ResolvedKubeconfig {
  const fail = (why: string): never => {
    throw new Error(`${what} '${paths.join(delimiter)}': ${why}`);
  };
  const merged = emptyMerged();
  const missing: string[] = [];
  for (const path of paths) {
    if (path === '') continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        missing.push(path);
        continue;
      }
      return fail(`error loading config file "${path}": ${ioReason(err, path)}`);
    }
    try {
      mergeInto(merged, parseConfigYaml(text) ?? {}, dirname(resolve(path)));
    } catch (err) {
      return fail(`error loading config file "${path}": ${(err as Error).message}`);
    }
  }
  if (merged.clusters.size + merged.users.size + merged.contexts.size === 0 && merged.current === undefined) {
    // client-go logs "Config not found: ..." when every file is missing; here it is part of the error.
    return fail(`invalid configuration: no configuration has been provided${missing.length ? ` (Config not found: ${missing.join(', ')})` : ''}`);
  }
  try {
    return resolveMerged(merged);
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** An entry of a kubeconfig, with the directory its relative paths are taken from. */
interface Entry {
  value: Obj;
  baseDir: string;
}

interface Merged {
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
  current?: string;
}

const emptyMerged = (): Merged => ({ clusters: new Map(), users: new Map(), contexts: new Map() });

/** Adds one file's entries: a name already there is kept (the first file wins), as Load's map merge. */
function mergeInto(m: Merged, doc: unknown, baseDir: string): void {
  if (!isObj(doc)) throw new Error('not a kubeconfig: the document is not a mapping');
  const add = (into: Map<string, Entry>, from: Map<string, Obj>): void => {
    for (const [name, value] of from) if (!into.has(name)) into.set(name, { value, baseDir });
  };
  add(m.clusters, named(doc.clusters, 'clusters', 'cluster'));
  add(m.users, named(doc.users, 'users', 'user'));
  add(m.contexts, named(doc.contexts, 'contexts', 'context'));
  m.current ??= str(doc['current-context']);
}

/** The current context of a parsed kubeconfig; relative file paths are taken from `baseDir`. */
export function resolveKubeconfig(doc: unknown, baseDir: string): ResolvedKubeconfig {
  const merged = emptyMerged();
  mergeInto(merged, doc, baseDir);
  return resolveMerged(merged);
}

function resolveMerged(m: Merged): ResolvedKubeconfig {
  const invalid = (why: string): never => {
    throw new Error(`invalid configuration: ${why}`);
  };
  const contextName = m.current;
  if (!contextName) return invalid('no context chosen');
  const ctx = m.contexts.get(contextName)?.value ?? invalid(`context was not found for specified context: ${contextName}`);
  unsupported(ctx, CONTEXT_KEYS, `context "${contextName}"`);
  const clusterName = str(ctx.cluster);
  if (!clusterName) return invalid(`cluster was not specified for context "${contextName}"`);
  const clusterEntry = m.clusters.get(clusterName) ?? invalid(`cluster "${clusterName}" was not found for context "${contextName}"`);
  const cluster = clusterEntry.value;
  const userName = str(ctx.user) ?? '';
  const userEntry: Entry = userName ? (m.users.get(userName) ?? invalid(`user "${userName}" was not found for context "${contextName}"`)) : { value: {}, baseDir: clusterEntry.baseDir };
  const user = userEntry.value;
  unsupported(cluster, CLUSTER_KEYS, `cluster "${clusterName}"`);
  unsupported(user, USER_KEYS, `user "${userName}"`);

  const server = str(cluster.server);
  if (!server) return invalid(`no server found for cluster "${clusterName}"`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    // The server is not quoted: a URL may carry user:password.
    return invalid(`the server of cluster "${clusterName}" is not a URL`);
  }
  // Every user of this reader sends a credential or a review: never in the clear.
  if (url.protocol !== 'https:') return invalid(`the server of cluster "${clusterName}" must be https, not ${url.protocol}`);
  const insecure = cluster['insecure-skip-tls-verify'];
  if (insecure !== undefined && typeof insecure !== 'boolean') return invalid(`insecure-skip-tls-verify of cluster "${clusterName}" must be true or false`);

  const out: ResolvedKubeconfig = { server, url, contextName, clusterName, userName };
  const ca = material(cluster, 'certificate-authority', clusterEntry.baseDir, clusterName, `certificate-authority-data and certificate-authority are both specified for ${clusterName}. certificate-authority-data will override.`, 'certificate-authority');
  if (ca !== undefined) {
    if (insecure === true) return invalid('specifying a root certificates file with the insecure flag is not allowed');
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) return invalid(`unable to load root certificates for ${clusterName}: unable to parse bytes as PEM block`);
    out.caPem = ca;
  }
  if (insecure === true) return invalid(`insecure-skip-tls-verify of cluster "${clusterName}" is not supported: the server's certificate is always verified`);
  const serverName = str(cluster['tls-server-name']);
  if (serverName) out.tlsServerName = serverName;

  const cert = material(user, 'client-certificate', userEntry.baseDir, userName, `client-cert-data and client-cert are both specified for ${userName}. client-cert-data will override.`, 'client-cert');
  const key = material(user, 'client-key', userEntry.baseDir, userName, `client-key-data and client-key are both specified for ${userName}; client-key-data will override`, 'client-key');
  if (cert !== undefined && key === undefined) return invalid(`client-key-data or client-key must be specified for ${userName} to use the clientCert authentication method.`);
  if (key !== undefined && cert === undefined) return invalid(`client-certificate-data or client-certificate must be specified for ${userName} to use the clientCert authentication method.`);
  if (cert !== undefined) {
    out.certPem = cert;
    out.keyPem = key;
  }
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  const tokenPath = tokenFile === undefined ? undefined : resolve(userEntry.baseDir, tokenFile);
  if (token) out.token = token;
  else if (tokenPath) out.token = readToken(tokenPath);
  // Kept even beside `token`, as client-go's rest config keeps BearerTokenFile: the shared
  // transport and the webhooks re-read it and prefer what they read (src/util/token-file-source.ts).
  if (tokenPath) out.tokenFile = tokenPath;
  return out;
}

/** `<field>-data` (base64) or the file `<field>` names; upstream's message when both are set. */
function material(o: Obj, field: string, baseDir: string, owner: string, bothMessage: string, readName: string): string | undefined {
  const data = str(o[`${field}-data`]);
  const file = str(o[field]);
  if (data !== undefined && file !== undefined) throw new Error(`invalid configuration: ${bothMessage}`);
  if (data !== undefined) {
    const compact = data.replace(/[\r\n]/g, '');
    if (!BASE64.test(compact)) throw new Error(`invalid configuration: ${field}-data of ${owner}: illegal base64 data`);
    return Buffer.from(compact, 'base64').toString('utf8');
  }
  if (file === undefined) return undefined;
  // Resolved first, as client-go's loader does before it validates: messages name the absolute path.
  const path = resolve(baseDir, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`invalid configuration: unable to read ${readName} ${path} for ${owner} due to ${ioReason(err, path)}`);
  }
}

function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(ioReason(err, path));
  }
  const token = text.trim();
  if (!token) throw new Error(`read empty token from file "${path}"`);
  return token;
}

/** Entries by name, as client-go's v1 → internal conversion builds its maps. */
function named(list: unknown, what: string, field: string): Map<string, Obj> {
  const m = new Map<string, Obj>();
  if (list === undefined || list === null) return m;
  if (!Array.isArray(list)) throw new Error(`${what} is not a list`);
  for (const item of list) {
    if (!isObj(item) || typeof item.name !== 'string') throw new Error(`every entry of ${what} needs a name`);
    const v = item[field] ?? {};
    if (!isObj(v)) throw new Error(`${field} of ${what} entry "${item.name}" is not a mapping`);
    // Upstream also prints the whole list here, secrets included; the name is enough.
    if (m.has(item.name)) throw new Error(`duplicate name "${item.name}" in ${what}`);
    m.set(item.name, v);
  }
  return m;
}

function unsupported(o: Obj, known: Set<string>, where: string): void {
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`${where}: field '${k}' is not supported`);
}

/** Go's wording for a failed read: "open PATH: no such file or directory", "read PATH: is a directory". */
function ioReason(err: unknown, path: string): string {
  // Go opens a directory fine and fails on the read (os.ReadFile); Node fails at once with EISDIR.
  if ((err as NodeJS.ErrnoException).code === 'EISDIR') return `read ${path}: is a directory`;
  const m = /^[A-Z]+: ([^,]+),/.exec((err as Error).message);
  return `open ${path}: ${m ? m[1] : (err as Error).message}`;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
