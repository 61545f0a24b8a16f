import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Launcher } from '../runtime/launcher.ts';
import { nodeCommandRunner } from './ip-command.ts';

test('commands run through the launcher: output back, a failure names the command and its output, a script goes to stdin', async () => {
  const launcher = new Launcher();
  try {
    const run = nodeCommandRunner(undefined, launcher);
    assert.equal(await run(['echo', 'a b']), 'a b');
    await assert.rejects(run(['sh', '-c', 'echo no such device >&2; exit 2']), { message: "sh -c echo no such device >&2; exit 2: no such device" });
    await assert.rejects(run(['false']), { message: 'false: exit code 1' });
    // A script with quotes, $ and newlines reaches the command's stdin unchanged.
    const script = "table inet t {\n  chain c { comment \"it's $HOME\" }\n}\n";
    assert.equal(await run(['wc', '-c'], script), String(Buffer.byteLength(script)));
    assert.equal(await run(['cat'], script), script.replaceAll('\n', ' ').trim());
  } finally {
    launcher.close();
  }
});
