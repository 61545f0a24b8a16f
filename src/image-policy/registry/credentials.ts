/**
 * Registry credentials from `.dockerconfigjson` documents (imagePullSecrets, ~/.docker/config.json),
 * looked up as the kubelet's credentialprovider keyring does: a key is a registry host (globs per
 * label: `*.example.com`), optionally with a port and a path prefix; the most specific matching
 * key wins; `https://index.docker.io/v1/` and `index.docker.io` mean docker.io.
 */

export interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DockerConfigJson {
  auths?: Record<string, DockerConfigEntry>;
}

export interface BasicCredential {
  username: string;
  password: string;
}

interface Key {
  host: string;
  path: string;
  cred: BasicCredential;
  /** Which of the configs it came from (the kubelet tracks the pull Secret a credential came from). */
  source: number;
}

/** Where to look a credential up: the reference's domain (docker.io for Docker Hub) and path. */
export interface CredentialQuery {
  domain: string;
  path: string;
}

function entryCredential(e: DockerConfigEntry): BasicCredential | undefined {
  if (e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new Error('invalid dockerconfigjson: an "auth" value is not base64 of user:password');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (e.username !== undefined || e.password !== undefined) return { username: e.username ?? '', password: e.password ?? '' };
  return undefined;
}

/** The key's host and path; undefined for a key that is no URL (the kubelet's keyring ignores that entry). */
function parseKey(raw: string): { host: string; path: string } | undefined {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return undefined;
  }
  let host = url.host.toLowerCase();
  let path = url.pathname.replace(/\/+$/, '');
  // Docker Hub's legacy key names the v1 API, not a repository path.
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') {
    host = 'docker.io';
    if (path === '/v1' || path === '/v2') path = '';
  }
  return { host, path: path.replace(/^\//, '') };
}

function hostMatches(pattern: string, host: string): boolean {
  const [pHost, pPort] = splitPort(pattern);
  const [hHost, hPort] = splitPort(host);
  if (pPort !== hPort) return false;
  const p = pHost.split('.');
  const h = hHost.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => label === h[i] || (label.includes('*') && globLabel(label, h[i]!)));
}

function splitPort(host: string): [string, string] {
  const m = /^(.*?)(?::(\d+))?$/.exec(host)!;
  return [m[1]!, m[2] ?? ''];
}

function globLabel(pattern: string, label: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return re.test(label);
}

export class CredentialKeyring {
  private readonly keys: Key[] = [];

  constructor(configs: readonly DockerConfigJson[] = []) {
    for (const [source, cfg] of configs.entries()) {
      for (const [raw, entry] of Object.entries(cfg.auths ?? {})) {
        const cred = entryCredential(entry);
        const key = parseKey(raw);
        if (!cred || !key) continue;
        this.keys.push({ ...key, cred, source });
      }
    }
    // Most specific first: longer path, then a host without globs.
    this.keys.sort((a, b) => b.path.length - a.path.length || Number(a.host.includes('*')) - Number(b.host.includes('*')));
  }

  /** Every credential that applies, most specific first (the kubelet tries them in turn). */
  lookup(q: CredentialQuery): BasicCredential[] {
    return this.lookupSources(q).map((k) => k.cred);
  }

  /** As lookup, with the index of the config each credential came from. */
  lookupSources(q: CredentialQuery): { cred: BasicCredential; source: number }[] {
    // Spelled as the keys are (URL host: lower case, no default HTTPS port).
    let host: string;
    try {
      host = new URL(`https://${q.domain}`).host;
    } catch {
      return [];
    }
    return this.keys
      .filter((k) => hostMatches(k.host, host) && (k.path === '' || q.path === k.path || q.path.startsWith(`${k.path}/`)))
      .map((k) => ({ cred: k.cred, source: k.source }));
  }
}

/**
 * The docker config a pull Secret holds, as the kubelet's MakeDockerKeyring reads it: type
 * kubernetes.io/dockerconfigjson with `.dockerconfigjson`, or kubernetes.io/dockercfg with
 * `.dockercfg` (the bare auths map); anything else, or malformed, is none.
 */
export function dockerConfigOfSecret(secret: Record<string, unknown> | undefined): DockerConfigJson | undefined {
  const data = (secret?.data ?? {}) as Record<string, unknown>;
  try {
    if (secret?.type === 'kubernetes.io/dockerconfigjson' && typeof data['.dockerconfigjson'] === 'string') {
      return JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8')) as DockerConfigJson;
    }
    if (secret?.type === 'kubernetes.io/dockercfg' && typeof data['.dockercfg'] === 'string') {
      return { auths: JSON.parse(Buffer.from(data['.dockercfg'], 'base64').toString('utf8')) as Record<string, DockerConfigEntry> };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** A keyring of these configs, leaving out any whose "auth" value is unreadable; undefined when none is left. */
export function keyringOf(configs: readonly DockerConfigJson[]): CredentialKeyring | undefined {
  const ok = configs.filter((c) => {
    try {
      new CredentialKeyring([c]);
      return true;
    } catch {
      return false;
    }
  });
  return ok.length > 0 ? new CredentialKeyring(ok) : undefined;
}
