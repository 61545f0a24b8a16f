import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildOidcAuthenticators } from './build.ts';
import { OidcConfigError } from './field-errors.ts';
import { jwtFromFlags } from './flags.ts';

const now = () => new Date('2025-01-01T00:00:00Z');
const head = 'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\n';
const jwt = (mappings: string, extra = '') =>
  `${head}jwt:\n- issuer:\n    url: https://issuer.example\n    audiences: [kube]\n${extra}  claimMappings:\n${mappings}`;
const userExpr = (e: string) => `    username:\n      expression: '${e}'\n`;

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof OidcConfigError, String(err));
    return err.message;
  }
  assert.fail('expected an OidcConfigError');
}

describe('AuthenticationConfiguration validation', () => {
  const cases: { name: string; text: string; want: RegExp }[] = [
    { name: 'malformed username CEL', text: jwt(userExpr('claims.sub +')), want: /^cfg: jwt\[0\]\.claimMappings\.username\.expression: Invalid value: "claims\.sub \+": compilation failed: Unexpected token/ },
    { name: 'unknown CEL variable', text: jwt(userExpr('request.sub')), want: /jwt\[0\]\.claimMappings\.username\.expression: Invalid value: "request\.sub": compilation failed: Unknown variable: request/ },
    { name: 'validation rule not bool', text: jwt(userExpr('claims.sub'), "  claimValidationRules:\n  - expression: 'claims.sub'\n"), want: /jwt\[0\]\.claimValidationRules\[0\]\.expression: Invalid value: "claims\.sub": must evaluate to bool/ },
    { name: 'user rule on unknown field', text: jwt(userExpr('claims.sub'), '') + "  userValidationRules:\n  - expression: 'user.name == \"x\"'\n", want: /jwt\[0\]\.userValidationRules\[0\]\.expression: Invalid value: .*No such key: name/ },
    { name: 'claim and expression', text: jwt("    username:\n      claim: sub\n      expression: 'claims.sub'\n"), want: /jwt\[0\]\.claimMappings\.username: Invalid value: "": claim and expression can't both be set/ },
    { name: 'claim without prefix', text: jwt('    username:\n      claim: sub\n'), want: /jwt\[0\]\.claimMappings\.username\.prefix: Required value: prefix is required when claim is set/ },
    { name: 'prefix with expression', text: jwt("    username:\n      expression: 'claims.sub'\n      prefix: x\n"), want: /jwt\[0\]\.claimMappings\.username\.prefix: Invalid value: "x": may not be specified when expression is set/ },
    { name: 'no username mapping', text: jwt('    groups:\n      claim: g\n      prefix: ""\n'), want: /jwt\[0\]\.claimMappings\.username: Required value: claim or expression is required/ },
    { name: 'email without email_verified', text: jwt(userExpr('claims.email')), want: /jwt\[0\]\.claimMappings\.username\.expression: Invalid value: "claims\.email": claims\.email_verified must be used/ },
    { name: 'http issuer', text: jwt(userExpr('claims.sub')).replace('https://issuer', 'http://issuer'), want: /jwt\[0\]\.issuer\.url: Invalid value: "http:\/\/issuer\.example": URL scheme must be https/ },
    { name: 'no audiences', text: jwt(userExpr('claims.sub')).replace('    audiences: [kube]\n', ''), want: /jwt\[0\]\.issuer\.audiences: Required value: at least one jwt\[0\]\.issuer\.audiences is required/ },
    { name: 'two audiences without MatchAny', text: jwt(userExpr('claims.sub')).replace('[kube]', '[a, b]'), want: /jwt\[0\]\.issuer\.audienceMatchPolicy: Invalid value: "": audienceMatchPolicy must be MatchAny for multiple audiences/ },
    { name: 'bad CA', text: jwt(userExpr('claims.sub'), ''), want: /./ },
    { name: 'unknown field', text: jwt(userExpr('claims.sub')).replace('    url:', '    urls: x\n    url:'), want: /jwt\[0\]\.issuer\.urls: Forbidden: unknown field/ },
    { name: 'wrong type', text: jwt(userExpr('claims.sub')).replace('[kube]', 'kube'), want: /jwt\[0\]\.issuer\.audiences: Invalid value: "kube": must be a list/ },
    { name: 'extra key without domain', text: jwt(userExpr('claims.sub') + "    extra:\n    - key: foo\n      valueExpression: 'claims.x'\n"), want: /jwt\[0\]\.claimMappings\.extra\[0\]\.key: Invalid value: "foo": must be a domain-prefixed path/ },
    { name: 'reserved extra key', text: jwt(userExpr('claims.sub') + "    extra:\n    - key: authentication.kubernetes.io/x\n      valueExpression: 'claims.x'\n"), want: /reserved for Kubernetes use/ },
    { name: 'rule with claim and message', text: jwt(userExpr('claims.sub'), '  claimValidationRules:\n  - claim: hd\n    requiredValue: x\n    message: m\n'), want: /jwt\[0\]\.claimValidationRules\[0\]\.message: Invalid value: "m": may not be specified when claim is set/ },
    { name: 'wrong apiVersion', text: jwt(userExpr('claims.sub')).replace('v1beta1', 'v9'), want: /apiVersion: Unsupported value: "apiserver\.config\.k8s\.io\/v9"/ },
    { name: 'disallowed issuer', text: jwt(userExpr('claims.sub')).replace('https://issuer.example', 'https://kubernetes.default.svc'), want: /jwt\[0\]\.issuer\.url: Invalid value: "https:\/\/kubernetes\.default\.svc": URL must not overlap with disallowed issuers/ },
    { name: 'not YAML', text: 'jwt: [', want: /^cfg: / },
  ];
  cases.find((c) => c.name === 'bad CA')!.text = jwt(userExpr('claims.sub')).replace('    audiences: [kube]\n', '    audiences: [kube]\n    certificateAuthority: not a pem\n');
  cases.find((c) => c.name === 'bad CA')!.want = /jwt\[0\]\.issuer\.certificateAuthority: Invalid value: "<omitted>"/;

  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const msg = errorOf(() =>
        buildOidcAuthenticators({ authenticationConfig: c.text, authenticationConfigFile: 'cfg', now, disallowedIssuers: ['https://kubernetes.default.svc'] }),
      );
      assert.match(msg, c.want);
    });
  }

  it('reports every problem at once, duplicates across issuers included', () => {
    const one = `- issuer:\n    url: https://a.example\n    audiences: [k]\n  claimMappings:\n    username:\n      expression: 'claims.sub +'\n`;
    const msg = errorOf(() => buildOidcAuthenticators({ authenticationConfig: `${head}jwt:\n${one}${one}`, now }));
    assert.match(msg, /^authentication config: \[jwt\[0\]\.claimMappings\.username\.expression: .*, jwt\[1\]\.claimMappings\.username\.expression: .*, jwt\[1\]\.issuer\.url: Duplicate value: "https:\/\/a\.example"\]$/);
  });

  it('accepts a valid file and an empty jwt list', () => {
    assert.equal(buildOidcAuthenticators({ authenticationConfig: jwt(userExpr('claims.sub')), now }).authenticators.length, 1);
    const r = buildOidcAuthenticators({ authenticationConfig: `${head}anonymous:\n  enabled: true\n  conditions:\n  - path: /livez\n`, now });
    assert.equal(r.authenticators.length, 0);
    assert.deepEqual(r.config?.anonymous, { enabled: true, conditions: [{ path: '/livez' }] });
  });
});

describe('--oidc-* flags', () => {
  it('converts to the structured form as upstream', () => {
    const cases = [
      { f: { issuerUrl: 'https://i', clientId: 'c' }, prefix: 'https://i#', claim: 'sub' },
      { f: { issuerUrl: 'https://i', clientId: 'c', usernameClaim: 'email' }, prefix: '', claim: 'email' },
      { f: { issuerUrl: 'https://i', clientId: 'c', usernamePrefix: '-' }, prefix: '', claim: 'sub' },
      { f: { issuerUrl: 'https://i', clientId: 'c', usernameClaim: 'email', usernamePrefix: 'e:' }, prefix: 'e:', claim: 'email' },
    ];
    for (const c of cases) {
      const { jwt: j } = jwtFromFlags(c.f);
      assert.deepEqual(j.claimMappings.username, { claim: c.claim, prefix: c.prefix }, JSON.stringify(c.f));
      assert.deepEqual(j.issuer.audiences, ['c']);
    }
    const { jwt: j, signingAlgs } = jwtFromFlags({ issuerUrl: 'https://i', clientId: 'c', requiredClaims: ['a=1,b=2', 'c=x=y'], groupsClaim: 'g', signingAlgs: ['ES256'] });
    assert.deepEqual(j.claimValidationRules, [{ claim: 'a', requiredValue: '1' }, { claim: 'b', requiredValue: '2' }, { claim: 'c', requiredValue: 'x=y' }]);
    assert.deepEqual(j.claimMappings.groups, { claim: 'g', prefix: '' });
    assert.deepEqual(signingAlgs, ['ES256']);
  });

  const bad: { name: string; run: () => unknown; want: RegExp }[] = [
    { name: 'issuer without client id', run: () => jwtFromFlags({ issuerUrl: 'https://i', clientId: '' }), want: /--oidc-client-id: Required value: oidc-issuer-url and oidc-client-id must be specified together/ },
    { name: 'HS256 allowed', run: () => jwtFromFlags({ issuerUrl: 'https://i', clientId: 'c', signingAlgs: ['HS256'] }), want: /--oidc-signing-algs: Unsupported value: "HS256"/ },
    { name: 'alg none allowed', run: () => jwtFromFlags({ issuerUrl: 'https://i', clientId: 'c', signingAlgs: ['none'] }), want: /--oidc-signing-algs: Unsupported value: "none"/ },
    { name: 'bad required claim', run: () => jwtFromFlags({ issuerUrl: 'https://i', clientId: 'c', requiredClaims: ['novalue'] }), want: /--oidc-required-claim: Invalid value: "novalue": must be formatted as key=value/ },
    { name: 'missing CA file', run: () => jwtFromFlags({ issuerUrl: 'https://i', clientId: 'c', caFile: '/nonexistent/ca.pem' }), want: /--oidc-ca-file: Invalid value: "\/nonexistent\/ca\.pem": ENOENT/ },
    { name: 'http issuer', run: () => buildOidcAuthenticators({ flags: { issuerUrl: 'http://i', clientId: 'c' }, now }), want: /^oidc flags: jwt\[0\]\.issuer\.url: Invalid value: "http:\/\/i": URL scheme must be https/ },
    { name: 'flags and file together', run: () => buildOidcAuthenticators({ flags: { issuerUrl: 'https://i', clientId: 'c' }, authenticationConfig: head, now }), want: /mutually exclusive/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => assert.match(errorOf(c.run), c.want));
  }
});
