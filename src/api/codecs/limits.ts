/**
 * Limits on request bodies, as upstream: 3 MiB (kube-apiserver's MaxRequestBodyBytes), and a
 * nesting bound so that no walk over a decoded value can overflow the stack. The size of a stored
 * object is bounded where every write meets the store (src/storage/write-check.ts).
 */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 100;
