/** What audit reads from the HTTP request itself: the Audit-ID, the source IPs. */
import { isIP } from 'node:net';

export const AUDIT_ID_HEADER = 'audit-id';

/**
 * Upstream (WithAuditInit) keeps a client's Audit-ID as it came and echoes it. Here it is kept
 * only when it is a plain token of at most 128 printable characters, else a fresh UUID is used:
 * the ID is how records are looked up (`portcullis explain`), so it must stay a usable key.
 */
export function auditIdFor(incoming: string | string[] | undefined, newId: () => string): string {
  const v = Array.isArray(incoming) ? incoming[0] : incoming;
  return v !== undefined && /^[\x21-\x7e]{1,128}$/.test(v) ? v : newId();
}

/**
 * Upstream's utilnet.SourceIPs: the X-Forwarded-For entries, then X-Real-Ip, then the peer
 * address unless it is already the last one named. Only syntactically valid IPs are kept.
 */
export function sourceIPs(headers: Record<string, string | string[] | undefined>, remote: string | undefined): string[] {
  const out: string[] = [];
  const forwarded = joined(headers['x-forwarded-for']);
  if (forwarded) {
    for (const part of forwarded.split(',')) {
      const ip = part.trim();
      if (ip && isIP(ip)) out.push(ip);
    }
  }
  const real = joined(headers['x-real-ip'])?.trim();
  if (real && isIP(real)) out.push(real);
  const peer = remote?.startsWith('::ffff:') && isIP(remote.slice(7)) === 4 ? remote.slice(7) : remote;
  if (peer && isIP(peer) && out[out.length - 1] !== peer) out.push(peer);
  return out;
}

function joined(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h.join(',') : h;
}
