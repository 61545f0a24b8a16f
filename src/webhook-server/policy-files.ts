/**
 * The objects `portcullis webhook --policies` reads: every file named, and every *.yaml, *.yml
 * and *.json under a named directory (recursively, in name order), each read as kubectl apply -f
 * reads it (the policy CLI's reader: multi-document YAML, List objects expanded, bounded). A start
 * with a file that does not parse fails naming it: a policy read wrong is a policy not enforced.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readManifestFile, type SourcedObject } from '../policy-cli/manifests.ts';

export type { Obj, SourcedObject } from '../policy-cli/manifests.ts';

const MAX_OBJECTS = 20_000;

export function readPolicyPaths(paths: readonly string[]): SourcedObject[] {
  const out: SourcedObject[] = [];
  const walk = (p: string, named: boolean): void => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name), false);
    } else if (named || /\.(ya?ml|json)$/i.test(p)) {
      out.push(...readManifestFile(p));
      if (out.length > MAX_OBJECTS) throw new Error(`more than ${MAX_OBJECTS} objects in the --policies files`);
    }
  };
  for (const p of paths) walk(p, true);
  return out;
}
