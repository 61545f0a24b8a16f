// Plain JavaScript (loaded before any TypeScript): how the API server's process runs
// (`portcullis up` and `portcullis apiserver`; the scale bench's server child runs with the same
// flags, bench/server-process.ts). Issue 12: 150,000 pods in 4 GiB.
import { execWithNodeFlags } from './exec-with-flags.mjs';

/**
 * V8 flags of the API server process. Semi-spaces of at most 16 MiB (a young generation of 32
 * MiB) instead of V8's default, which grows them to 64 MiB (128 MiB) under the server's allocation
 * rate and keeps them. The flag holds for every isolate of the process: the API server's and the
 * components worker's (the scheduler and the controller manager). Scale bench, 100 nodes / 5,000
 * pods, both arms at once on the same machine (twice): process CPU 33.9 / 30.7 s against 33.4 /
 * 30.6 s, scavenges 205 / 202 against 55 / 54, peak RSS 499 / 593 MiB against 745 / 646 MiB;
 * 200 nodes / 10,000 pods, alternating: RSS 706 / 639 against 965 / 877 MiB. Scavenges run ~4x as
 * often, but each copies what is alive in the young generation at the time, about the same.
 */
export const API_SERVER_NODE_FLAGS = ['--max-semi-space-size=16'];

/**
 * Replaces this process (same pid, stdio and arguments) by one with API_SERVER_NODE_FLAGS, unless
 * the user set them (command line or NODE_OPTIONS) or this Node has no process.execve.
 */
export function execAsApiServer(script) {
  execWithNodeFlags(script, API_SERVER_NODE_FLAGS);
}
