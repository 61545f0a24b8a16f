// Plain JavaScript (loaded before any TypeScript): re-running this process with V8 flags of its
// own. V8 sizes a heap when the isolate is created, so heap flags only take effect from the
// process's start (v8.setFlagsFromString later leaves the main heap as it is).

/** The flag's name (`--max-semi-space-size=16` -> `--max-semi-space-size`; `--no-maglev` and `--maglev` are one). */
const flagName = (f) => f.split('=')[0].replace(/^--no-/, '--');

/**
 * Replaces this process (same pid, stdio and arguments) by `node <flags> <its own flags> script
 * <args>` with `env` under the environment, where a variable the user set wins. A flag the user
 * already gave (on the command line or in NODE_OPTIONS) is not added; when none is left, or this
 * Node has no process.execve (before 22.15), it returns and the process runs with what it has.
 */
export function execWithNodeFlags(script, flags, env = {}) {
  const own = new Set([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean).map(flagName));
  const add = flags.filter((f) => !own.has(flagName(f)));
  if (add.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...add, ...process.execArgv, script, ...process.argv.slice(2)], { ...env, ...process.env });
}
