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

type Register = (signature: unknown, handler?: unknown, opts?: object) => Environment;

/**
 * `env` with functions registered as synchronous unless said otherwise. cel-js takes a function
 * registered without `async: false` to be possibly asynchronous: every call through it then
 * checks for promises, and src/cel/closures.ts leaves such expressions to cel-js's interpreter.
 * All of these libraries' functions are synchronous.
 */
function synchronous(env: Environment): Environment {
  const register = env.registerFunction.bind(env) as Register;
  const view: Environment = new Proxy(env, {
    get(target, prop) {
      if (prop === 'registerFunction') {
        return (signature: unknown, handler?: unknown, opts?: object): Environment => {
          if (typeof signature === 'object' && signature !== null) register({ async: false, ...signature });
          else register(signature, handler, { async: false, ...opts });
          return view;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      // Chained calls (registerType(...).registerFunction(...)) stay on the view.
      return (...args: unknown[]): unknown => {
        const r: unknown = v.apply(target, args);
        return r === target ? view : r;
      };
    },
  });
  return view;
}

export function registerKubernetesLibraries(env: Environment): Environment {
  const view = synchronous(env);
  const out = [registerStringsLibrary, registerListsLibrary, registerRegexLibrary, registerQuantityLibrary, registerNetLibrary, registerUrlLibrary, registerSemverLibrary, registerFormatLibrary].reduce((e, register) => register(e), view);
  // Registration changes `env` in place: the view is `env` itself for everyone else.
  return out === view ? env : out;
}
