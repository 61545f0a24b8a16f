/**
 * Limits on what a request may make the server hold, as upstream: 3 MiB request bodies
 * (kube-apiserver's MaxRequestBodyBytes), 1.5 MiB stored objects (etcd's default
 * --max-request-bytes, which upstream meets as "etcdserver: request is too large"), and a nesting
 * bound so that no walk over a decoded value can overflow the stack.
 */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 100;
