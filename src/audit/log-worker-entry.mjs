// The audit log's writer thread (log-worker-client.ts): TypeScript run as the CLI's entry point
// runs it, by Node's own type stripping, or through tsx on a Node without it.
if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./log-worker.ts');
