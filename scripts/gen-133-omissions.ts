/**
 * Derives scripts/k8s-133-omissions.json: what the shared protos (../shared/k8s-api, kubernetes/api
 * at a 2026 commit) define beyond Kubernetes 1.33's API — proto packages, messages and fields that
 * upstream added after 1.33. gen-schema.ts leaves them out, so the server's schema is 1.33's and a
 * later field is an unknown field, as kube-apiserver 1.33 treats it.
 *
 * Input: bare git mirrors of kubernetes/api, kubernetes/apimachinery and kubernetes/kube-aggregator
 * (the protos are read from their newest v0.33.* tag with `git show`, never copied). Only names are
 * written out, and no 1.33 text.
 *
 *   node --import tsx scripts/gen-133-omissions.ts <api.git> <apimachinery.git> <kube-aggregator.git> [shared]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { DEFAULT_SHARED, REPO_ROOT, parseProtoTree, protoTypes } from './gen-schema.ts';

export const OMISSIONS_FILE = join(REPO_ROOT, 'scripts', 'k8s-133-omissions.json');

export interface Omissions {
  /** Where the 1.33 names came from: repository -> tag and commit. */
  from: Record<string, string>;
  /** Proto packages that 1.33 does not have at all. */
  packages: string[];
  /** Messages (full names) of packages 1.33 has, that 1.33 does not have. */
  messages: string[];
  /** Proto field names, by message full name, that 1.33's message does not have. */
  fields: Record<string, string[]>;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

function newest133(dir: string): string {
  const tags = git(dir, 'tag', '--list', 'v0.33.*')
    .split('\n')
    .filter((t) => /^v0\.33\.\d+$/.test(t))
    .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
  const tag = tags.at(-1);
  if (!tag) throw new Error(`${dir}: no v0.33.* tag`);
  return tag;
}

/** Parses every generated.proto under `under` at the repository's newest v0.33 tag into root. */
function parseTag(dir: string, under: string, root: protobuf.Root, from: Record<string, string>, name: string): void {
  const tag = newest133(dir);
  from[name] = `${tag} ${git(dir, 'rev-list', '-n1', tag).trim()}`;
  for (const path of git(dir, 'ls-tree', '-r', '--name-only', tag, '--', under).split('\n')) {
    if (!path.endsWith('/generated.proto') || path.includes('/testapigroup/')) continue;
    protobuf.parse(git(dir, 'show', `${tag}:${path}`), root, { keepCase: true, alternateCommentMode: true });
  }
}

export function computeOmissions(current: readonly protobuf.Type[], old: readonly protobuf.Type[], from: Record<string, string>): Omissions {
  const fullName = (t: protobuf.ReflectionObject): string => t.fullName.replace(/^\./, '');
  const pkgOf = (name: string): string => name.slice(0, name.lastIndexOf('.'));
  const oldTypes = new Map(old.map((t) => [fullName(t), t]));
  const oldPackages = new Set([...oldTypes.keys()].map(pkgOf));
  const packages = new Set<string>();
  const messages: string[] = [];
  const fields: Record<string, string[]> = {};
  for (const t of current) {
    const name = fullName(t);
    const o = oldTypes.get(name);
    if (!o) {
      if (oldPackages.has(pkgOf(name))) messages.push(name);
      else packages.add(pkgOf(name));
      continue;
    }
    const added = t.fieldsArray.filter((f) => !o.fields[f.name]).map((f) => f.name);
    if (added.length > 0) fields[name] = added;
  }
  return { from, packages: [...packages].sort(), messages: messages.sort(), fields };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [api, machinery, aggregator, shared = DEFAULT_SHARED] = process.argv.slice(2);
  if (!aggregator) throw new Error('usage: gen-133-omissions.ts <api.git> <apimachinery.git> <kube-aggregator.git> [shared]');
  const old = new protobuf.Root();
  const from: Record<string, string> = {};
  parseTag(api, '.', old, from, 'kubernetes/api');
  parseTag(machinery, 'pkg', old, from, 'kubernetes/apimachinery');
  parseTag(aggregator, 'pkg/apis/apiregistration', old, from, 'kubernetes/kube-aggregator');
  old.resolveAll();
  const out = computeOmissions(protoTypes(parseProtoTree(resolve(shared)).root), protoTypes(old), from);
  const text = `${JSON.stringify(out, null, 1)}\n`;
  writeFileSync(OMISSIONS_FILE, text);
  console.log(`wrote ${OMISSIONS_FILE}: ${out.packages.length} packages, ${out.messages.length} messages, ${Object.values(out.fields).flat().length} fields`);
}
