/**
 * The audit log backend's worker thread: a ChainWriter (hash chain, checkpoint signatures, file
 * writes, rotation) fed with opened records by log-worker-client.ts, so none of that runs on the
 * API server's event loop. Messages are handled in the order they come: a flush or close answers
 * once everything appended before it is written.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { ChainWriter } from './chain-writer.ts';
import type { FromLogWorker, LogWorkerData, ToLogWorker } from './log-worker-client.ts';

const port = parentPort!;
const data = workerData as LogWorkerData;
const send = (m: FromLogWorker) => port.postMessage(m);
/** The server logs what the writer logs; an object that cannot be cloned goes as text rather than throwing in the writer. */
function log(level: 'error' | 'warn', obj: object, msg?: string): void {
  try {
    send({ type: 'log', level, obj, msg });
  } catch {
    send({ type: 'log', level, obj: { detail: String((obj as { err?: unknown }).err ?? obj) }, msg });
  }
}
const privateKey = data.signingKey ? createPrivateKey(data.signingKey.pem) : undefined;
const writer = new ChainWriter({
  ...data.options,
  signingKey: privateKey && data.signingKey ? { privateKey, publicKey: createPublicKey(privateKey), keyID: data.signingKey.keyID } : undefined,
  log: { error: (obj: object, msg?: string) => log('error', obj, msg), warn: (obj: object, msg?: string) => log('warn', obj, msg) } as ConstructorParameters<typeof ChainWriter>[0]['log'],
  onWritten: (weight, records, ok) => send({ type: 'written', weight, records, ok }),
});

port.on('message', (m: ToLogWorker) => {
  if (m.type === 'append') writer.append(m.opens, m.weight);
  else if (m.type === 'flush') void writer.flush().then(() => send({ type: 'done', id: m.id }));
  else if (m.type === 'close') {
    void writer.close().then(() => {
      send({ type: 'done', id: m.id });
      port.close();
    });
  }
});
