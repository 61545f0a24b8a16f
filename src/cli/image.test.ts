import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runImage } from './image.ts';

test("image push refuses build's --tag/-t and --output (the REF argument names what is pushed) but takes the config flags", async () => {
  const none = () => undefined;
  await assert.rejects(runImage(['push', '--tag', 'r/x:1', '--from-dir', '/nonexistent', 'r/x:1'], none), /^Error: unknown flag: --tag$/);
  await assert.rejects(runImage(['push', '-t', 'r/x:1', '--from-dir', '/nonexistent', 'r/x:1'], none), /^Error: unknown flag: --tag$/);
  await assert.rejects(runImage(['push', '--output', '/tmp/x.oci', '/nonexistent', 'r/x:1'], none), /^Error: unknown flag: --output$/);
  // Parsed (the failure is the missing directory, later), as before.
  await assert.rejects(runImage(['push', '--entrypoint', '/bin/sh', '--from-dir', '/nonexistent-dir', '127.0.0.1:1/x:1'], none), (e: Error) => !/unknown flag/.test(e.message));
});
