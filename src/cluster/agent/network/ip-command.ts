/**
 * Runs iproute2 / sysctl / nft in the node's network namespace: the agent's own (no prefix), or a
 * named one (`ip netns exec NAME`) when the node's network lives in a namespace of its own, as
 * for several agents on one machine.
 */
import { execFile } from 'node:child_process';

export type Run = (args: readonly string[], input?: string) => Promise<string>;

export function nodeCommandRunner(nodeNetns?: string): Run {
  return (args, input) =>
    new Promise((resolve, reject) => {
      const argv = nodeNetns ? ['ip', 'netns', 'exec', nodeNetns, ...args] : [...args];
      const child = execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${args.join(' ')}: ${String(stderr).trim() || err.message}`));
        else resolve(String(stdout));
      });
      if (input !== undefined) child.stdin!.end(input);
    });
}
