/** Kubernetes' CEL libraries on one environment (lists, sets, regex, quantity, ip, cidr, url, semver). */
import type { Environment } from '@marcbachmann/cel-js';
import { registerListsLibrary } from './lists.ts';
import { registerNetLibrary } from './net.ts';
import { registerQuantityLibrary } from './quantity.ts';
import { registerRegexLibrary } from './regex.ts';
import { registerSemverLibrary } from './semver.ts';
import { registerUrlLibrary } from './url.ts';

export function registerKubernetesLibraries(env: Environment): Environment {
  return [registerListsLibrary, registerRegexLibrary, registerQuantityLibrary, registerNetLibrary, registerUrlLibrary, registerSemverLibrary].reduce((e, register) => register(e), env);
}
