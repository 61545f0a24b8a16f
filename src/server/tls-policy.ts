/**
 * The serving TLS policy, as Go's crypto/tls defaults that kube-apiserver inherits: TLS 1.2 offers
 * only ECDHE key exchange (forward secrecy; no static-RSA key exchange, which a stolen server key
 * would decrypt after the fact) with AEAD ciphers (no CBC, with its padding-oracle history); TLS 1.3
 * keeps its three suites. Renegotiation is refused: Go servers never renegotiate, and a client that
 * may start handshakes at will on an open connection can make the server pay for them.
 */
import type { TLSSocket } from 'node:tls';

/** OpenSSL names; the TLS_* entries are TLS 1.3's (Node disables TLS 1.3 if none is listed). */
export const SERVING_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** For a server's 'secureConnection' event: a renegotiation attempt ends the connection. */
export function refuseRenegotiation(socket: TLSSocket): void {
  socket.disableRenegotiation();
}
