/** Kubernetes' CEL libraries on one environment (strings extension, lists, sets, regex, quantity, ip, cidr, url, semver, format). */
import type { Environment } from '@marcbachmann/cel-js';
import { registerFormatLibrary } from './format.ts';
import { registerListsLibrary } from './lists.ts';
import { registerNetLibrary } from './net.ts';
import { registerQuantityLibrary } from './quantity.ts';
import { registerRegexLibrary } from './regex.ts';
import { registerSemverLibrary } from './semver.ts';
import { registerStringsLibrary } from './strings.ts';
import { registerUrlLibrary } from './url.ts';

export function registerKubernetesLibraries(env: Environment): Environment {
  return [registerStringsLibrary, registerListsLibrary, registerRegexLibrary, registerQuantityLibrary, registerNetLibrary, registerUrlLibrary, registerSemverLibrary, registerFormatLibrary].reduce((e, register) => register(e), env);
}
