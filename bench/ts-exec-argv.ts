/**
 * How bench children run TypeScript: as `bin/portcullis` runs it (Node's own type stripping; the
 * sources are erasable syntax only), and through tsx only on a Node without stripping. Measuring
 * under tsx would add its loader thread and keepNames wrappers that users do not run.
 */
export const TS_EXEC_ARGV: readonly string[] = process.features.typescript ? [] : ['--import', 'tsx'];
