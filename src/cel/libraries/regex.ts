/**
 * Kubernetes' CEL regex library (apiserver/pkg/cel/library/regex.go) on RE2: `find` (the first
 * match, or "") and `findAll` (every match, optionally at most n).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { compileRe2 } from '../re2.ts';

function matcher(pattern: string, s: string) {
  const c = compileRe2(pattern);
  if (!c.ok) throw new Error(c.error);
  return c.re.matcher(s);
}

function findAll(s: string, pattern: string, limit: bigint): string[] {
  const m = matcher(pattern, s);
  const out: string[] = [];
  while ((limit < 0n || BigInt(out.length) < limit) && m.find()) out.push(m.group() ?? '');
  return out;
}

export function registerRegexLibrary(env: Environment): Environment {
  return env
    .registerFunction('string.find(string): string', (s: string, p: string) => {
      const m = matcher(p, s);
      return m.find() ? (m.group() ?? '') : '';
    })
    .registerFunction('string.findAll(string): list<string>', (s: string, p: string) => findAll(s, p, -1n))
    .registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => findAll(s, p, n));
}
