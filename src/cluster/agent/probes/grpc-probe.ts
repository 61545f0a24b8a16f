/**
 * A grpc probe (pkg/probe/grpc): grpc.health.v1.Health/Check over plaintext HTTP/2 to the pod IP
 * and port, with the probe's service name (empty: the server as a whole). As upstream it first
 * waits (up to the timeout) for the connection, then asks once: SERVING is success; another
 * status, UNIMPLEMENTED, a deadline or any other error a failure with upstream's wording.
 * @grpc/grpc-js carries the call; the two one-field messages are encoded with protobufjs.
 * grpc-js is loaded with the first grpc probe: it adds ~15 MiB to the agent's resident memory,
 * and most nodes never run one.
 */
import type * as Grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import type { GRPCAction } from 'kubernetes-types/core/v1.js';
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from '../../../server/version.ts';
import { goDuration } from '../crash-backoff.ts';
import { failure, joinHostPort, success, type ProbeOutcome } from './outcome.ts';

let messages: Promise<{ Req: protobuf.Type; Res: protobuf.Type }> | undefined;
/** The health service's two messages, made at the first gRPC probe, as grpc-js is loaded: protobufjs is ~0.7 MiB of the agent's heap. */
function healthMessages(): Promise<{ Req: protobuf.Type; Res: protobuf.Type }> {
  messages ??= import('protobufjs').then(({ default: pb }) => {
    const root = pb.Root.fromJSON({
      nested: {
        HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
        HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } },
      },
    });
    return { Req: root.lookupType('HealthCheckRequest'), Res: root.lookupType('HealthCheckResponse') };
  });
  return messages;
}
const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

export async function grpcProbe(action: GRPCAction, podIP: string | undefined, timeoutMs: number): Promise<ProbeOutcome> {
  if (!podIP) throw new Error('the pod has no IP address yet');
  const addr = joinHostPort(podIP, action.port);
  const timeout = goDuration(timeoutMs);
  const grpc = await import('@grpc/grpc-js');
  const { Req, Res } = await healthMessages();
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), { 'grpc.primary_user_agent': `kube-probe/${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}` });
  try {
    const deadline = Date.now() + timeoutMs;
    const connected = await new Promise<Error | undefined>((r) => client.waitForReady(deadline, (err) => r(err ?? undefined)));
    if (connected) return failure(`timeout: failed to connect service ${JSON.stringify(addr)} within ${timeout}: context deadline exceeded`);
    const res = await new Promise<{ status?: number } | Grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (m: { service: string }) => Buffer.from(Req.encode(Req.create(m)).finish()),
        (b: Buffer) => Res.toObject(Res.decode(b), { defaults: true }) as { status?: number },
        { service: action.service ?? '' },
        new grpc.Metadata(),
        { deadline },
        (err, value) => resolve(err ?? value ?? {}),
      );
    });
    if (res instanceof Error) {
      const e = res as Grpc.ServiceError;
      if (e.code === grpc.status.UNIMPLEMENTED) return failure(`this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}`);
      if (e.code === grpc.status.DEADLINE_EXCEEDED) return failure(`timeout: health rpc did not complete within ${timeout}`);
      return failure(`error: health rpc probe failed: rpc error: code = ${grpcCodeName(grpc.status, e.code)} desc = ${e.details}`);
    }
    const st = res.status ?? 0;
    if (st !== 1) return failure(`service unhealthy (responded with ${JSON.stringify(STATUS[st] ?? String(st))})`);
    return success('service healthy');
  } finally {
    client.close();
  }
}

/** Go's codes.Code String(): Unavailable, NotFound, ... */
function grpcCodeName(status: typeof Grpc.status, code: number): string {
  const name = status[code] ?? String(code);
  return name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());
}
