// The worker thread that runs the controller manager and the scheduler for `portcullis up`
// (components-worker.ts): TypeScript through tsx, as the CLI's entry point does.
import { register } from 'tsx/esm/api';

register();
await import('./components-worker-main.ts');
