/**
 * One HTTPS POST of a JSON body to an admission webhook with a deadline, over the shared HTTP
 * client (src/util/http): connections are kept alive per (address, server name, caBundle) in the
 * process's bounded agent pool. Failures are worded as Go's HTTP client words them, since those
 * words end up in the Status message (`Post "<url>": context deadline exceeded`).
 */
import { sharedAgents, type AgentPool } from '../../util/http/agent-pool.ts';
import { goWords } from '../../util/http/go-words.ts';
import { HttpClientError, send } from '../../util/http/send.ts';
import { ADMISSION_USER_AGENT } from '../../util/http/user-agent.ts';
import type { CallTarget } from './resolve-target.ts';

/** Webhook responses past this size are refused rather than buffered. */
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export class PostError extends Error {}

export interface PostResult {
  status: number;
  body: string;
}

/** Resolves with any HTTP answer; rejects with a PostError carrying Go's wording. */
export async function postJson(t: CallTarget, pathAndQuery: string, body: string, timeoutMs: number, agents: AgentPool = sharedAgents): Promise<PostResult> {
  const agent = agents.agentFor(t.connectHost, t.connectPort, { caPem: t.ca, serverName: t.servername });
  try {
    const res = await send({
      agent,
      method: 'POST',
      host: t.connectHost,
      port: t.connectPort,
      path: pathAndQuery,
      headers: { host: t.url.host, 'content-type': 'application/json', accept: 'application/json, */*', 'user-agent': ADMISSION_USER_AGENT },
      body,
      timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
    });
    return { status: res.status, body: res.body.toString('utf8') };
  } catch (err) {
    if (err instanceof HttpClientError) throw new PostError(goWords(err, t.connectHost, t.connectPort));
    throw err;
  }
}
