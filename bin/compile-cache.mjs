// Plain JavaScript (loaded before any TypeScript, so that loading it cannot pull in the type
// stripper): fills Node's compile cache in dir with the given modules and what they import.
import { spawnSync } from 'node:child_process';

/**
 * Imports `urls` in a short child process with the cache in `dir` and waits for it (bounded): the
 * modules' top-level code runs there and nothing else. A failure only costs the warm start. The
 * child runs with the V8 flags of the process that will use the cache (`execArgv`, default this
 * one's): Node keeps a separate cache per set of flags.
 */
export function warmCompileCache(dir, urls, execArgv = process.execArgv) {
  const code = `import { flushCompileCache } from 'node:module';\nfor (const u of ${JSON.stringify(urls)}) await import(u);\nflushCompileCache();\nprocess.exit(0);`;
  spawnSync(process.execPath, [...execArgv, '--input-type=module', '-e', code], { env: { ...process.env, NODE_COMPILE_CACHE: dir }, stdio: 'ignore', timeout: 60_000 });
}
