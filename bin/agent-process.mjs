// Plain JavaScript (loaded before any TypeScript): how the `portcullis agent` process runs. The
// agent is long-lived and its memory is the node's overhead (issue 13: 100 pods in 100 MiB), so
// it trades a little CPU for a smaller resident set (the API server's own flags:
// bin/apiserver-process.mjs).
import { execWithNodeFlags } from './exec-with-flags.mjs';

/**
 * V8 flags of the agent process. A young generation of 2 MiB semi-spaces instead of growing to
 * 16 MiB: V8 grows them under an allocation burst (a burst of pod starts) and does not give the
 * pages back, ~25 MiB resident with 100 pods; the agent's allocation rate is low, so the extra
 * scavenges cost little CPU. Only a process's start can set it (v8.setFlagsFromString after the
 * heap exists leaves it as it is). No Sparkplug (baseline) and no Maglev (mid-tier) code: each
 * keeps a second and third compiled copy of every warm function beside its bytecode, and
 * Maglev's compiler pages in more of the node binary; without them the agent with 100 pods is
 * ~5 MiB smaller (2.5 MiB of heap, 1.4 MiB of the binary) and its hot functions still reach
 * TurboFan; its CPU per pod did not measurably move (README, Agents).
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=2', '--no-sparkplug', '--no-maglev'];

/**
 * Environment of the agent process: glibc's malloc keeps an arena per thread that allocates
 * (the libuv threadpool's fs calls), each holding freed memory; two arenas are enough for it.
 * A value the user set wins.
 */
export const AGENT_ENV = { MALLOC_ARENA_MAX: '2' };

/**
 * The agent process's TypeScript modules, for the compile cache's warm-up (bin/compile-cache.mjs):
 * its command and what those import, and the modules it imports later, on first use (a module
 * missing from the cache would load the type stripper into the agent).
 */
export const AGENT_MODULES = ['../src/cli/main.ts', '../src/cli/agent.ts', '../src/cluster/agent/server/stream-upgrade.ts', '../src/cluster/agent/network/node-network.ts'].map((m) => new URL(m, import.meta.url).href);

/**
 * Replaces this process (same pid, stdio and arguments) by `node <AGENT_NODE_FLAGS> <its own
 * flags> script <args>` with AGENT_ENV, unless it already runs with a young-generation size of its
 * own (or NODE_OPTIONS sets one), or this Node has no process.execve (before 22.15): then it
 * returns and the agent runs with what it has.
 */
export function execAsAgent(script) {
  execWithNodeFlags(script, AGENT_NODE_FLAGS, AGENT_ENV);
}
