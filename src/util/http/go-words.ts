/**
 * A failed exchange in the words Go's net/http and crypto/tls use, for the callers whose errors
 * end up in a Status message users compare with upstream's (admission webhooks:
 * `failed to call webhook: Post "<url>": context deadline exceeded`; the ImagePolicyWebhook
 * backend). Looks through the error's cause chain, so an error wrapped by a retrying client
 * (src/cluster/client/transport.ts) is worded by what went wrong underneath.
 */
import { HttpClientError } from './send.ts';

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/**
 * `host` without IPv6 brackets, as Go prints it in `dial tcp host:port`. `clientTimeout`: the Go
 * caller's limit is an http.Client Timeout (a rest.Config's), whose words say so, rather than a
 * context deadline (admission webhooks).
 */
export function goWords(err: unknown, host: string, port: number, o: { clientTimeout?: boolean } = {}): string {
  const h = host.replace(/^\[|\]$/g, '');
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof HttpClientError) {
      if (e.kind === 'deadline' && !o.clientTimeout) return 'context deadline exceeded';
      if (e.kind === 'deadline' && e.answered) return 'context deadline exceeded (Client.Timeout or context cancellation while reading body)';
      if (e.kind === 'deadline') return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
      if (e.kind === 'idle-timeout') return 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)';
      if (e.kind === 'connect-timeout') return `dial tcp ${h}:${port}: i/o timeout`;
      if (e.kind === 'too-large') return e.message;
    }
    const x = e as NodeJS.ErrnoException & { reason?: string };
    const code = x.code ?? '';
    if (code === 'ECONNREFUSED') return `dial tcp ${h}:${port}: connect: connection refused`;
    if (code === 'ENOTFOUND') return `dial tcp: lookup ${h}: no such host`;
    if (code === 'ECONNRESET') return 'EOF';
    if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${x.reason ?? x.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
