/**
 * Runs iproute2 / sysctl / nsenter / nft in the node's network namespace: the agent's own (no
 * prefix), or a named one (`ip netns exec NAME`) when the node's network lives in a namespace of
 * its own, as for several agents on one machine. The commands go through the host launcher
 * (runtime/launcher.ts) rather than a fork of the whole agent each; a script for stdin (nft -f -)
 * is handed over in a private file. What comes back is the command's output, newlines as spaces,
 * at most 2000 characters (the launcher's line): enough for the errors, which is all callers read.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostLauncher, type Launcher } from '../runtime/launcher.ts';

export type Run = (args: readonly string[], input?: string) => Promise<string>;

/** `exec "$@" <"$0"`: the command with its stdin from the file named first. */
const WITH_INPUT = 'exec "$@" <"$0"';

export function nodeCommandRunner(nodeNetns?: string, launcher: Launcher = hostLauncher()): Run {
  return async (args, input) => {
    const argv = nodeNetns ? ['ip', 'netns', 'exec', nodeNetns, ...args] : [...args];
    let dir: string | undefined;
    try {
      if (input !== undefined) {
        dir = await mkdtemp(join(tmpdir(), 'portcullis-input-'));
        await writeFile(join(dir, 'stdin'), input, { mode: 0o600 });
      }
      const r = await launcher.run(dir ? ['/bin/sh', '-c', WITH_INPUT, join(dir, 'stdin'), ...argv] : argv);
      if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.output || `exit code ${r.code}`}`);
      return r.output;
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  };
}
