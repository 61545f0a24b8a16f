/** Limits on request bodies, as upstream (3 MiB bodies; a nesting bound so no walk can overflow the stack). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
export const MAX_NESTING_DEPTH = 100;
