/**
 * Node socket error codes that every client over node:http/https classifies the same way, so the HTTP client
 * and the WinRM transport tell operators the same thing about the same failure.
 */

/** Certificate checks that fail when TLS verification is on (self-signed, unknown CA, expired, wrong name). */
export const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The peer closed the connection before any answer arrived (a reused keep-alive socket can fail this way). */
export function isClosedBeforeAnswer(error: NodeJS.ErrnoException): boolean {
  return error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.message === 'socket hang up';
}
