/**
 * `portcullis image build | push | keygen | sign | verify`: the tools of people who publish and
 * sign images, on the same registry client and signature code that admission uses.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ImagePolicyError } from '../image-policy/errors.ts';
import { buildImage, type ImageConfigOptions } from '../image-policy/oci/build.ts';
import { generateSigningKeyPair, loadPrivateKey } from '../image-policy/oci/cosign-keys.ts';
import { signImage } from '../image-policy/oci/cosign-sign.ts';
import { pushLayout } from '../image-policy/oci/push-layout.ts';
import { parseDockerRef, referenceString, type ImageReference } from '../image-policy/reference.ts';
import { RegistryClient } from '../image-policy/registry/client.ts';
import { CredentialKeyring, type DockerConfigJson } from '../image-policy/registry/credentials.ts';
import { RegistryPusher } from '../image-policy/registry/push.ts';
import { loadPublicKeys } from '../image-policy/verifiers/cosign-key.ts';
import { attachBundle, keyBundle } from '../image-policy/verifiers/sigstore/attach-bundle.ts';
import { verifyKeyOrBundle } from '../image-policy/verifiers/sigstore/key-or-bundle.ts';
import { loadCertificateChain, notationSign } from '../image-policy/verifiers/notation/sign.ts';
import { verifyNotation } from '../image-policy/verifiers/notation/authority.ts';
import { loadNotationPolicy, parseTrustStoreFlag } from '../image-policy/verifiers/notation/policy-file.ts';
import { parseDurationMs } from '../util/duration.ts';
import { boolFlag, flag, parseCommand, type ParsedArgs } from './args.ts';

type Out = (s: string) => void;

export const IMAGE_USAGE = `usage: portcullis image <command>

  build DIR [-t REF] [--output LAYOUT] --entrypoint WORD... [--cmd WORD]... [--user U] [--env K=V]... [--workdir DIR]
        a minimal OCI image (one layer of DIR) written as an OCI layout (default DIR.oci)
  push LAYOUT REF | push --from-dir DIR REF --entrypoint WORD... [--cmd WORD]... [--user U] [--env K=V]... [--workdir DIR]
        upload an OCI layout's image (or a directory built on the fly) to a registry
  keygen [--output-key-prefix cosign]
        an ECDSA P-256 key pair as cosign generate-key-pair: PREFIX.key encrypted with
        $COSIGN_PASSWORD (cosign's format) and PREFIX.pub
  sign REF --key FILE [--annotation K=V]... [--bundle]
        cosign's legacy signature (tag sha256-<hex>.sig) of the image REF names, or with --bundle
        a key-signed Sigstore bundle attached as an OCI 1.1 referrer; FILE is a cosign
        key ($COSIGN_PASSWORD) or plain PEM (ECDSA, RSA, Ed25519)
  sign REF --notation --key FILE --cert CHAIN [--expiry DURATION]
        a Notation (Notary Project v2) JWS signature attached as an OCI 1.1 referrer; FILE is the
        PEM private key of CHAIN's first certificate (CHAIN: PEM, leaf first, up to the root)
  verify REF --key FILE...
        check REF's cosign signatures with public keys (the legacy form, else key-signed bundle
        referrers), printing each check
  verify REF --notation --trust-policy FILE --trust-store TYPE:NAME=PEM...
        check REF's Notation signatures against notation's trustpolicy.json (version 1.0) and
        trust stores (TYPE ca or signingAuthority, NAME as the policy names it)

registry flags (push, sign, verify): --registry-config FILE (docker config.json; default
$DOCKER_CONFIG/config.json or ~/.docker/config.json), --ca-file FILE, --insecure (plain HTTP to a
registry that is not on the loopback address)
`;

/** The image's config, which `image push --from-dir` builds too. */
const CONFIG_FLAGS = ['entrypoint', 'cmd', 'user', 'env', 'workdir'] as const;
const BUILD_FLAGS = ['tag', 'output', ...CONFIG_FLAGS] as const;
const REGISTRY_FLAGS = ['registry-config', 'ca-file'] as const;

/** `-t REF` is the one shorthand (docker build's); the shared parser takes long flags only. */
function expandShorthand(argv: readonly string[]): string[] {
  return argv.map((a) => (a === '-t' ? '--tag' : a));
}

/** A word list flag: repeated words, or one JSON array (`--entrypoint '["/bin/sh","-c"]'`). */
function words(args: ParsedArgs, name: string): string[] | undefined {
  const v = args.flags.get(name);
  if (!v || v.length === 0) return undefined;
  if (v.length === 1 && v[0]!.trimStart().startsWith('[')) {
    const parsed: unknown = JSON.parse(v[0]!);
    if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) throw new Error(`--${name}: want a JSON array of strings`);
    return parsed as string[];
  }
  return v;
}

function configOptions(args: ParsedArgs): ImageConfigOptions {
  const entrypoint = words(args, 'entrypoint');
  const cmd = words(args, 'cmd');
  if (!entrypoint && !cmd) throw new Error('--entrypoint or --cmd is required: an image with neither runs nothing');
  return {
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(flag(args, 'user', '') ? { user: flag(args, 'user', '') } : {}),
    env: args.flags.get('env') ?? [],
    ...(flag(args, 'workdir', '') ? { workingDir: flag(args, 'workdir', '') } : {}),
  };
}

function registryClient(args: ParsedArgs, ref: ImageReference): RegistryClient {
  const explicit = flag(args, 'registry-config', '');
  const fallback = join(process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json');
  const path = explicit || (existsSync(fallback) ? fallback : '');
  const configs: DockerConfigJson[] = path ? [JSON.parse(readFileSync(path, 'utf8')) as DockerConfigJson] : [];
  const caFile = flag(args, 'ca-file', '');
  const host = ref.domain;
  return new RegistryClient({
    keyring: new CredentialKeyring(configs),
    hosts: { [host]: { ...(caFile ? { caPem: readFileSync(caFile, 'utf8') } : {}), insecure: boolFlag(args, 'insecure', false) } },
    userAgent: 'portcullis-image',
  });
}

async function build(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, { name: 'image build', flags: BUILD_FLAGS, maxPositional: 1 });
  const dir = args.positional[0];
  if (!dir) throw new Error('image build needs the directory to build from');
  const tag = flag(args, 'tag', '');
  if (tag) parseDockerRef(tag);
  const output = flag(args, 'output', `${resolve(dir).replace(/\/+$/, '')}.oci`);
  const refName = tag ? (parseDockerRef(tag).tag ?? 'latest') : undefined;
  const img = await buildImage({ contextDir: dir, outputDir: output, ...configOptions(args), ...(refName ? { refName } : {}) });
  out(`built ${img.manifest.digest} (layer ${img.layer.digest}, ${img.layer.size} bytes) in ${output}\n`);
  return 0;
}

async function push(argv: string[], out: Out): Promise<number> {
  // Not build's --tag/--output: the REF argument names what is pushed, and nothing is written locally.
  const args = parseCommand(argv, { name: 'image push', flags: [...CONFIG_FLAGS, ...REGISTRY_FLAGS, 'from-dir'], booleans: ['insecure'], maxPositional: 2 });
  const fromDir = flag(args, 'from-dir', '');
  const [first, second] = args.positional;
  const layoutArg = fromDir ? undefined : first;
  const refArg = fromDir ? first : second;
  if (!refArg || (!fromDir && !layoutArg)) throw new Error('usage: portcullis image push LAYOUT REF | push --from-dir DIR REF');
  const ref = parseDockerRef(refArg);
  let layout = layoutArg!;
  let tmp: string | undefined;
  if (fromDir) {
    tmp = mkdtempSync(join(tmpdir(), 'portcullis-image-'));
    layout = join(tmp, 'layout');
    await buildImage({ contextDir: fromDir, outputDir: layout, ...configOptions(args) });
  }
  const client = registryClient(args, ref);
  try {
    const pushed = await pushLayout(new RegistryPusher(client.transport, {}), layout, ref);
    for (const b of pushed.blobs) out(`${b.digest}: ${b.outcome}\n`);
    out(`pushed ${referenceString(ref)}@${pushed.digest}\n`);
    return 0;
  } finally {
    client.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** The key password, from COSIGN_PASSWORD as cosign reads it (an empty password is allowed). */
function password(required: boolean): string {
  const p = process.env['COSIGN_PASSWORD'];
  if (p === undefined && required) throw new Error('set COSIGN_PASSWORD to the password of the private key (it may be empty)');
  return p ?? '';
}

function keygen(argv: string[], out: Out): number {
  const args = parseCommand(argv, { name: 'image keygen', flags: ['output-key-prefix'] });
  const prefix = flag(args, 'output-key-prefix', 'cosign');
  for (const f of [`${prefix}.key`, `${prefix}.pub`]) if (existsSync(f)) throw new Error(`${f} exists; not overwriting a key`);
  const pair = generateSigningKeyPair(password(true));
  writeFileSync(`${prefix}.key`, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${prefix}.pub`, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  out(`Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n`);
  return 0;
}

async function sign(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, { name: 'image sign', flags: [...REGISTRY_FLAGS, 'key', 'annotation', 'cert', 'expiry'], booleans: ['insecure', 'bundle', 'notation'], maxPositional: 1 });
  const refArg = args.positional[0];
  const keyFile = flag(args, 'key', '');
  if (!refArg || !keyFile) throw new Error('usage: portcullis image sign REF --key FILE');
  const ref = parseDockerRef(refArg);
  const annotations: Record<string, string> = {};
  for (const a of args.flags.get('annotation') ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`--annotation ${JSON.stringify(a)}: want KEY=VALUE`);
    annotations[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const key = loadPrivateKey(readFileSync(keyFile, 'utf8'), process.env['COSIGN_PASSWORD']);
  const notation = boolFlag(args, 'notation', false);
  if (!notation && (flag(args, 'cert', '') || flag(args, 'expiry', ''))) throw new Error('--cert and --expiry apply to --notation signatures');
  if (notation && !flag(args, 'cert', '')) throw new Error('usage: portcullis image sign REF --notation --key FILE --cert CHAIN');
  const chain = notation ? loadCertificateChain(readFileSync(flag(args, 'cert', ''), 'utf8')) : [];
  const client = registryClient(args, ref);
  try {
    if (notation) {
      if (boolFlag(args, 'bundle', false) || Object.keys(annotations).length > 0) throw new Error('--bundle and --annotation do not apply to --notation');
      const expiry = flag(args, 'expiry', '');
      const now = new Date();
      const m = await client.getManifest(ref);
      const pushed = await notationSign(client, new RegistryPusher(client.transport), ref, m.descriptor, key, { chain, now, ...(expiry && { expiry: new Date(now.getTime() + parseDurationMs(expiry)) }) });
      out(`signed ${referenceString({ domain: ref.domain, path: ref.path, digest: m.descriptor.digest })}\npushed Notation signature ${referenceString({ domain: ref.domain, path: ref.path, digest: pushed })}\n`);
      return 0;
    }
    if (boolFlag(args, 'bundle', false)) {
      if (Object.keys(annotations).length > 0) throw new Error('--annotation applies to the legacy signature, not to --bundle');
      const m = await client.getManifest(ref);
      const pushed = await attachBundle(client, new RegistryPusher(client.transport), ref, m.descriptor, keyBundle(key, m.bytes));
      out(`signed ${referenceString({ domain: ref.domain, path: ref.path, digest: m.descriptor.digest })}\npushed bundle ${referenceString({ domain: ref.domain, path: ref.path, digest: pushed })}\n`);
      return 0;
    }
    const r = await signImage(client, new RegistryPusher(client.transport), ref, key, annotations);
    out(`signed ${referenceString({ domain: ref.domain, path: ref.path, digest: r.digest })}\npushed signature ${referenceString({ domain: ref.domain, path: ref.path, tag: r.signatureTag })}@${r.signatureManifestDigest}\n`);
    return 0;
  } finally {
    client.close();
  }
}

async function verifyCmd(argv: string[], out: Out): Promise<number> {
  const args = parseCommand(argv, { name: 'image verify', flags: [...REGISTRY_FLAGS, 'key', 'trust-policy', 'trust-store'], booleans: ['insecure', 'notation'], maxPositional: 1 });
  const refArg = args.positional[0];
  if (boolFlag(args, 'notation', false)) return verifyNotationCmd(args, refArg, out);
  const keyFiles = args.flags.get('key') ?? [];
  if (!refArg || keyFiles.length === 0) throw new Error('usage: portcullis image verify REF --key FILE...');
  const ref = parseDockerRef(refArg);
  const keys = loadPublicKeys(keyFiles.map((f) => readFileSync(f, 'utf8')));
  const client = registryClient(args, ref);
  try {
    const r = await verifyKeyOrBundle(client, ref, keys);
    for (const c of r.checks) out(`ok: ${c}\n`);
    out(`verified ${referenceString({ domain: ref.domain, path: ref.path, digest: r.digest })}\n`);
    return 0;
  } finally {
    client.close();
  }
}

async function verifyNotationCmd(args: ParsedArgs, refArg: string | undefined, out: Out): Promise<number> {
  const policyFile = flag(args, 'trust-policy', '');
  if (!refArg || !policyFile) throw new Error('usage: portcullis image verify REF --notation --trust-policy FILE --trust-store TYPE:NAME=PEM...');
  const stores = (args.flags.get('trust-store') ?? []).map(parseTrustStoreFlag).map((t) => ({ type: t.type, name: t.name, certificates: readFileSync(t.file, 'utf8') }));
  const policy = loadNotationPolicy(readFileSync(policyFile, 'utf8'), stores);
  const ref = parseDockerRef(refArg);
  const client = registryClient(args, ref);
  try {
    const digest = ref.digest ?? (await client.resolve(ref)).digest;
    const r = await verifyNotation(client, ref, digest, policy, new Date());
    out(`ok: ${referenceString(ref)} is ${digest}\n`);
    for (const c of r.checks) out(`ok: ${c}\n`);
    for (const l of r.logged) out(`logged: ${l}\n`);
    out(`verified ${referenceString({ domain: ref.domain, path: ref.path, digest })}\n`);
    return 0;
  } finally {
    client.close();
  }
}

export async function runImage(argv: string[], out: Out): Promise<number> {
  try {
    return await dispatch(argv, out);
  } catch (err) {
    // The reason code leads, as in an admission denial.
    if (err instanceof ImagePolicyError) throw new Error(`${err.code}: ${err.message}`, { cause: err });
    throw err;
  }
}

async function dispatch(argv: string[], out: Out): Promise<number> {
  const [sub, ...rest] = expandShorthand(argv);
  switch (sub) {
    case 'build':
      return build(rest, out);
    case 'push':
      return push(rest, out);
    case 'keygen':
      return keygen(rest, out);
    case 'sign':
      return sign(rest, out);
    case 'verify':
      return verifyCmd(rest, out);
    case undefined:
    case 'help':
    case '--help':
      out(IMAGE_USAGE);
      return sub === undefined ? 2 : 0;
    default:
      throw new Error(`unknown image command ${JSON.stringify(sub)}\n\n${IMAGE_USAGE}`);
  }
}
