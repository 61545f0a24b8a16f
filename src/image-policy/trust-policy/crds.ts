/**
 * ClusterImagePolicy and ImagePolicy (policy.portcullis.dev/v1alpha1) as CustomResourceDefinitions
 * the API server installs at start, as an addon would: the CRD machinery gives them a structural
 * schema (unknown fields pruned or refused, types checked), CEL rules and OpenAPI for kubectl.
 * What a schema cannot check (that a PEM key parses, that a glob compiles) the ImageVerification
 * admission plugin checks on every write of a policy (compile.ts), so what is stored is what is
 * enforced.
 *
 * KMS keys, transparency-log and timestamp settings (the keyless trusted root says which logs and
 * authorities count), signature sources and policy expressions are named in the schema
 * only to be refused by name: accepting them and not enforcing them would be worse.
 */
import { GLOB_PATTERN, MAX_GLOB_LENGTH } from './glob.ts';

export const POLICY_GROUP = 'policy.portcullis.dev';
export const POLICY_VERSION = 'v1alpha1';
export const CLUSTER_POLICY_PLURAL = 'clusterimagepolicies';
export const POLICY_PLURAL = 'imagepolicies';

type Schema = Record<string, unknown>;

const str = (maxLength: number, extra: Schema = {}): Schema => ({ type: 'string', maxLength, ...extra });
const refused = (what: string): Schema => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: `Not supported yet: ${what} is refused.` });
const notSupported = (field: string, what: string) => ({ rule: `!has(self.${field})`, message: `${what} (${field}) are not supported yet` });

const PEM_MAX = 16 * 1024;

const keyAuthority: Schema = {
  type: 'object',
  description: 'A cosign public key: its PEM text, or a Secret whose data values are PEM public keys.',
  properties: {
    data: str(PEM_MAX, { description: 'PEM public keys (ECDSA P-256/P-384, RSA, Ed25519).' }),
    secretRef: {
      type: 'object',
      required: ['name'],
      properties: {
        name: str(253),
        namespace: str(63, { description: "The Secret's namespace; required for a ClusterImagePolicy, the policy's own for an ImagePolicy." }),
        key: str(253, { description: 'One data key; default: every value of the Secret.' }),
      },
    },
    hashAlgorithm: { type: 'string', enum: ['sha256'] },
    kms: str(1024),
  },
  'x-kubernetes-validations': [
    { rule: 'has(self.data) != has(self.secretRef)', message: 'exactly one of data or secretRef must be set' },
    { rule: '!has(self.kms)', message: 'KMS keys (kms) are not supported yet' },
  ],
};

const notaryAuthority: Schema = {
  type: 'object',
  description: 'Docker content trust: a Notary v1 server and the pinned root keys (or root CAs) of the trusted collections.',
  required: ['server', 'roots'],
  properties: {
    server: str(2048, { description: 'https://host:port of the Notary server.' }),
    caBundle: str(64 * 1024, { description: "PEM CA certificates of the server (default: the system's roots)." }),
    roots: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: {
        type: 'object',
        properties: {
          gun: str(512, { description: 'A GUN, or a prefix ending in * (default "*": every image the policy matches).' }),
          keyIds: { type: 'array', maxItems: 16, items: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
          publicKeys: { type: 'array', maxItems: 16, items: str(PEM_MAX) },
          caCertificates: str(64 * 1024, { description: "PEM CA certificates the root certificate must chain to (notary's trust_pinning ca)." }),
        },
        'x-kubernetes-validations': [{ rule: "(has(self.keyIds) && size(self.keyIds) > 0) || (has(self.publicKeys) && size(self.publicKeys) > 0) || (has(self.caCertificates) && self.caCertificates != '')", message: 'a root needs at least one key ID, public key or CA certificate (trust on first use is not allowed)' }],
      },
    },
  },
  'x-kubernetes-validations': [{ rule: "self.server.startsWith('https://')", message: 'server must be an https URL' }],
};

const objectRef = (kind: string, holding = 'trusted_root.json'): Schema => ({
  type: 'object',
  required: ['name', 'key'],
  properties: {
    name: str(253),
    namespace: str(63, { description: `The ${kind}'s namespace; required for a ClusterImagePolicy, the policy's own for an ImagePolicy.` }),
    key: str(253, { description: `The ${kind} data key holding ${holding}.` }),
  },
});

const strings = (maxItems: number, maxLength: number): Schema => ({ type: 'array', maxItems, items: str(maxLength) });

const notationAuthority: Schema = {
  type: 'object',
  description: "Notation (Notary Project v2) JWS signatures attached as OCI referrers, checked against Notation's trust stores and trust policy document (trustpolicy.json 1.0).",
  required: ['trustStores', 'trustPolicies'],
  properties: {
    trustStores: {
      type: 'array', minItems: 1, maxItems: 16,
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: str(128, { description: 'Referenced from a trust policy as TYPE:NAME.' }),
          type: { type: 'string', enum: ['ca', 'signingAuthority'], default: 'ca' },
          certificates: str(256 * 1024, { description: 'PEM root certificates of the store.' }),
          secretRef: objectRef('Secret', 'PEM certificates'),
          configMapRef: objectRef('ConfigMap', 'PEM certificates'),
        },
        'x-kubernetes-validations': [{ rule: '(has(self.certificates) ? 1 : 0) + (has(self.secretRef) ? 1 : 0) + (has(self.configMapRef) ? 1 : 0) == 1', message: 'exactly one of certificates, secretRef or configMapRef must be set' }],
      },
    },
    trustPolicies: {
      type: 'array', minItems: 1, maxItems: 32,
      items: {
        type: 'object',
        required: ['name', 'registryScopes', 'signatureVerification'],
        properties: {
          name: str(253),
          registryScopes: { ...strings(64, 1024), minItems: 1, description: 'Fully qualified repositories (registry/path), or "*" (global).' },
          signatureVerification: {
            type: 'object',
            required: ['level'],
            properties: {
              level: { type: 'string', enum: ['strict', 'permissive', 'audit', 'skip'] },
              override: { type: 'object', additionalProperties: { type: 'string', enum: ['enforce', 'log', 'skip'] }, description: 'authenticity, authenticTimestamp, expiry (enforce | log), revocation (enforce | log | skip).' },
            },
          },
          trustStores: strings(16, 256),
          trustedIdentities: { ...strings(32, 2048), description: '"x509.subject: C=.., ST=.., O=.., ..." (C, ST and O required), or "*".' },
        },
      },
    },
  },
};


const identity: Schema = {
  type: 'object',
  description: "A trusted signer: the certificate's OIDC issuer and subject (SAN), exact or RE2 regular expressions (matched anywhere: anchor with ^...$).",
  properties: { issuer: str(1024), subject: str(1024), issuerRegExp: str(1024), subjectRegExp: str(1024) },
  'x-kubernetes-validations': [
    { rule: 'has(self.issuer) != has(self.issuerRegExp)', message: 'exactly one of issuer or issuerRegExp must be set' },
    { rule: 'has(self.subject) != has(self.subjectRegExp)', message: 'exactly one of subject or subjectRegExp must be set' },
  ],
};

const keylessAuthority: Schema = {
  type: 'object',
  description: 'Sigstore keyless: bundles signed with a Fulcio certificate of a trusted identity, verified offline with a trusted root.',
  required: ['trustedRoot', 'identities'],
  properties: {
    trustedRoot: {
      type: 'object',
      description: "A Sigstore trusted_root.json (certificate authorities, Rekor logs, CT logs, timestamp authorities): inline, or a Secret's or ConfigMap's key.",
      properties: { data: str(1024 * 1024), secretRef: objectRef('Secret'), configMapRef: objectRef('ConfigMap') },
      'x-kubernetes-validations': [{ rule: '(has(self.data) ? 1 : 0) + (has(self.secretRef) ? 1 : 0) + (has(self.configMapRef) ? 1 : 0) == 1', message: 'exactly one of data, secretRef or configMapRef must be set' }],
    },
    identities: { type: 'array', minItems: 1, maxItems: 32, items: identity },
  },
};

const attestation: Schema = {
  type: 'object',
  required: ['predicateType'],
  properties: {
    name: str(253),
    predicateType: str(1024, { description: 'The in-toto predicate type a verified attestation must have, e.g. https://slsa.dev/provenance/v1.' }),
    condition: str(4096, { description: 'A CEL expression over predicate, predicateType and subject that must be true.' }),
  },
};

const authority: Schema = {
  type: 'object',
  properties: {
    name: str(253),
    key: keyAuthority,
    notary: notaryAuthority,
    static: { type: 'object', required: ['action'], properties: { action: { type: 'string', enum: ['pass', 'fail'] } } },
    keyless: keylessAuthority,
    attestations: { type: 'array', maxItems: 16, items: attestation },
    ctlog: refused('transparency log verification'),
    rfc3161timestamp: refused('RFC 3161 timestamps'),
    sources: { type: 'array', items: refused('signature sources in other repositories') },
    notation: notationAuthority,
  },
  'x-kubernetes-validations': [
    { rule: '!has(self.attestations) || has(self.keyless)', message: 'attestations are verified for keyless authorities only' },
    notSupported('ctlog', 'transparency log settings'),
    notSupported('rfc3161timestamp', 'RFC 3161 timestamp authorities'),
    notSupported('sources', 'signature sources'),
    { rule: '(has(self.key) ? 1 : 0) + (has(self.notary) ? 1 : 0) + (has(self.static) ? 1 : 0) + (has(self.keyless) ? 1 : 0) + (has(self.notation) ? 1 : 0) == 1', message: 'exactly one of key, notary, static, keyless or notation must be set' },
  ],
};

const specSchema: Schema = {
  type: 'object',
  required: ['images', 'authorities'],
  properties: {
    images: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { type: 'object', required: ['glob'], properties: { glob: str(MAX_GLOB_LENGTH, { pattern: GLOB_PATTERN }) } },
    },
    mode: { type: 'string', enum: ['enforce', 'warn', 'audit'], default: 'enforce', description: 'enforce denies, warn admits with a warning, audit admits with an audit annotation.' },
    authorities: { type: 'array', minItems: 1, maxItems: 16, items: authority },
    policy: refused('a policy over the verified results (CUE/Rego)'),
  },
  'x-kubernetes-validations': [notSupported('policy', 'policy expressions')],
};

function crd(kind: string, plural: string, scope: 'Cluster' | 'Namespaced', shortNames: string[]): Record<string, any> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${POLICY_GROUP}`, labels: { 'app.kubernetes.io/managed-by': 'portcullis-apiserver' } },
    spec: {
      group: POLICY_GROUP,
      scope,
      names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List`, shortNames, categories: ['image-policy'] },
      versions: [
        {
          name: POLICY_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', required: ['spec'], properties: { spec: specSchema } } },
          additionalPrinterColumns: [
            { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}

/** The two CRDs, fresh objects each call. */
export function imagePolicyCrds(): Record<string, any>[] {
  return [crd('ClusterImagePolicy', CLUSTER_POLICY_PLURAL, 'Cluster', ['cip']), crd('ImagePolicy', POLICY_PLURAL, 'Namespaced', ['imgpol'])];
}
