/**
 * Reads an --authentication-config file (YAML or JSON) into AuthenticationConfiguration. Decoding
 * is strict, as upstream's: an unknown field or a value of the wrong type is an error naming the
 * field, so a misspelt `claimValidationRule` cannot silently disable a check.
 */
import { parse as parseYaml } from 'yaml';
import type { AnonymousConfig, AuthenticationConfiguration, JwtAuthenticatorConfig } from './jwt-config.ts';
import { OidcConfigError, invalid, required, type FieldError } from './field-errors.ts';

export const AUTHENTICATION_CONFIG_VERSIONS = ['apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1'] as const;

type Obj = Record<string, unknown>;

class Reader {
  readonly errors: FieldError[] = [];

  object(v: unknown, path: string, allowed: readonly string[]): Obj | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.errors.push(invalid(path, v, 'must be an object'));
      return undefined;
    }
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) this.errors.push({ path: path ? `${path}.${k}` : k, type: 'Forbidden', detail: 'unknown field' });
    }
    return v as Obj;
  }

  string(o: Obj | undefined, key: string, path: string): string | undefined {
    const v = o?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.errors.push(invalid(at(path, key), v, 'must be a string'));
      return undefined;
    }
    return v;
  }

  list(o: Obj | undefined, key: string, path: string): unknown[] {
    const v = o?.[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.errors.push(invalid(at(path, key), v, 'must be a list'));
      return [];
    }
    return v;
  }
}

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function readJwt(r: Reader, v: unknown, path: string): JwtAuthenticatorConfig {
  const o = r.object(v, path, ['issuer', 'claimValidationRules', 'claimMappings', 'userValidationRules']) ?? {};
  const ip = at(path, 'issuer');
  const io = r.object(o.issuer, ip, ['url', 'discoveryURL', 'certificateAuthority', 'audiences', 'audienceMatchPolicy']);
  const audiences = r.list(io, 'audiences', ip).map((a, i) => {
    if (typeof a !== 'string') r.errors.push(invalid(`${ip}.audiences[${i}]`, a, 'must be a string'));
    return String(a);
  });
  const policy = r.string(io, 'audienceMatchPolicy', ip);
  const prefixed = (x: unknown, p: string) => {
    const m = r.object(x, p, ['claim', 'prefix', 'expression']);
    return m && { claim: r.string(m, 'claim', p), prefix: r.string(m, 'prefix', p), expression: r.string(m, 'expression', p) };
  };
  const mp = at(path, 'claimMappings');
  const mo = r.object(o.claimMappings, mp, ['username', 'groups', 'uid', 'extra']);
  const uo = r.object(mo?.uid, `${mp}.uid`, ['claim', 'expression']);
  return {
    issuer: {
      url: r.string(io, 'url', ip) ?? '',
      discoveryURL: r.string(io, 'discoveryURL', ip),
      certificateAuthority: r.string(io, 'certificateAuthority', ip),
      audiences,
      audienceMatchPolicy: policy as 'MatchAny' | undefined,
    },
    claimValidationRules: r.list(o, 'claimValidationRules', path).map((x, i) => {
      const p = `${path}.claimValidationRules[${i}]`;
      const c = r.object(x, p, ['claim', 'requiredValue', 'expression', 'message']);
      return { claim: r.string(c, 'claim', p), requiredValue: r.string(c, 'requiredValue', p), expression: r.string(c, 'expression', p), message: r.string(c, 'message', p) };
    }),
    claimMappings: {
      username: prefixed(mo?.username, `${mp}.username`) ?? {},
      groups: prefixed(mo?.groups, `${mp}.groups`),
      uid: uo && { claim: r.string(uo, 'claim', `${mp}.uid`), expression: r.string(uo, 'expression', `${mp}.uid`) },
      extra: r.list(mo, 'extra', mp).map((x, i) => {
        const p = `${mp}.extra[${i}]`;
        const e = r.object(x, p, ['key', 'valueExpression']);
        return { key: r.string(e, 'key', p) ?? '', valueExpression: r.string(e, 'valueExpression', p) ?? '' };
      }),
    },
    userValidationRules: r.list(o, 'userValidationRules', path).map((x, i) => {
      const p = `${path}.userValidationRules[${i}]`;
      const u = r.object(x, p, ['expression', 'message']);
      return { expression: r.string(u, 'expression', p) ?? '', message: r.string(u, 'message', p) };
    }),
  };
}

function readAnonymous(r: Reader, v: unknown): AnonymousConfig | undefined {
  const o = r.object(v, 'anonymous', ['enabled', 'conditions']);
  if (!o) return undefined;
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') r.errors.push(invalid('anonymous.enabled', o.enabled, 'must be a boolean'));
  const conditions = r.list(o, 'conditions', 'anonymous').map((c, i) => {
    const co = r.object(c, `anonymous.conditions[${i}]`, ['path']);
    return { path: r.string(co, 'path', `anonymous.conditions[${i}]`) ?? '' };
  });
  return { enabled: o.enabled === true, conditions };
}

/** Parses and shape-checks the file content; semantic checks and CEL compilation are validateJwt's. */
export function parseAuthenticationConfiguration(text: string, source = 'authentication config'): AuthenticationConfiguration {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new OidcConfigError([invalid('', '<file>', (err as Error).message.split('\n')[0]!)], source);
  }
  const r = new Reader();
  const o = r.object(doc, '', ['apiVersion', 'kind', 'jwt', 'anonymous']);
  if (!o) throw new OidcConfigError([required('', 'an AuthenticationConfiguration object')], source);
  const apiVersion = r.string(o, 'apiVersion', '') ?? '';
  if (!(AUTHENTICATION_CONFIG_VERSIONS as readonly string[]).includes(apiVersion)) {
    r.errors.push({ path: 'apiVersion', type: 'Unsupported value', value: apiVersion, detail: `supported values: ${AUTHENTICATION_CONFIG_VERSIONS.map((v) => JSON.stringify(v)).join(', ')}` });
  }
  if (o.kind !== 'AuthenticationConfiguration') {
    r.errors.push({ path: 'kind', type: 'Unsupported value', value: o.kind ?? '', detail: 'supported values: "AuthenticationConfiguration"' });
  }
  const jwt = r.list(o, 'jwt', '').map((j, i) => readJwt(r, j, `jwt[${i}]`));
  const anonymous = readAnonymous(r, o.anonymous);
  if (r.errors.length > 0) throw new OidcConfigError(r.errors, source);
  return { apiVersion, kind: 'AuthenticationConfiguration', jwt, ...(anonymous ? { anonymous } : {}) };
}
