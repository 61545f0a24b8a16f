// The worker thread that runs the controller manager and the scheduler for `portcullis up`
// (components-worker.ts): TypeScript run as the CLI's entry point runs it, by Node's own type
// stripping, or through tsx on a Node without it.
if (!process.features.typescript) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./components-worker-main.ts');
