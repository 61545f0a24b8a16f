/**
 * The HTTPS server of `portcullis webhook`: POST /imagereview (ImagePolicyWebhook's backend),
 * POST /validate and POST /mutate (admission webhooks), POST /authorize (SubjectAccessReview),
 * POST /authenticate (TokenReview, with a token file), GET /healthz. HTTPS only, with the API
 * server's TLS policy (TLS 1.2+, ECDHE with AEAD ciphers, no renegotiation); with a client CA,
 * a caller without a certificate it signed is refused in the handshake (upstream's webhooks ask
 * for the API server's client certificate the same way).
 *
 * Bodies are bounded (an AdmissionReview carries the object and the old one, each at most the
 * API server's 3 MiB), requests time out, and a body that is not the review asked for is an
 * HTTP 400 with a plain message, as Kubernetes' test webhook answers it. Anything the engine
 * throws is a 500: the API server then applies the webhook's failurePolicy, and ImagePolicyWebhook
 * denies unless defaultAllow.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { TokenAuthenticator } from '../authn/bearer.ts';
import type { Authorizer } from '../authz/types.ts';
import { IMAGE_REVIEW_API_VERSION, type ImageReviewSpec } from '../image-policy/webhook/image-review.ts';
import { refuseRenegotiation, SERVING_CIPHERS } from '../server/tls-policy.ts';
import { admissionResponse, BadReview, decodeReview, expectKind, parseAdmissionReview } from './admission-review.ts';
import { answerSubjectAccessReview, answerTokenReview } from './access-reviews.ts';
import type { PolicyEngine } from './engine.ts';

export const MAX_REVIEW_BYTES = 7 * 1024 * 1024;

export interface WebhookServerOptions {
  engine: PolicyEngine;
  /** Answers /authorize (RBAC over the policy files). */
  authorizer: Authorizer;
  /** Answers /authenticate; without it the path is not served. */
  authenticator?: TokenAuthenticator;
  log: Logger;
  certPem: string;
  keyPem: string;
  /** Client CAs: when set, only callers with a certificate one of them signed get through. */
  clientCaPem?: string;
  /** Whole request, headers and body, in this time (default 60 s). */
  requestTimeoutMs?: number;
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).type('text/plain; charset=utf-8').send(`${message}\n`);
}

/** The body as a JSON text, or why it is not one (content type, emptiness). */
function jsonBody(contentType: string | undefined, body: unknown): string {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  // controller-runtime's words for a wrong content type.
  if (ct !== 'application/json') throw new BadReview(`contentType=${ct}, expected application/json`);
  if (!Buffer.isBuffer(body) || body.length === 0) throw new BadReview('request body is empty');
  return body.toString('utf8');
}

/** ImageReview spec, checked as upstream's decoder would type it. */
export function parseImageReview(text: string): ImageReviewSpec {
  const doc = decodeReview(text);
  expectKind(doc, 'ImageReview', [IMAGE_REVIEW_API_VERSION]);
  const spec = doc.spec ?? {};
  if (!isObj(spec)) throw new BadReview('ImageReview.spec must be an object');
  const containers = spec.containers ?? [];
  if (!Array.isArray(containers) || containers.some((c) => !isObj(c) || (c.image !== undefined && typeof c.image !== 'string'))) throw new BadReview('ImageReview.spec.containers must be a list of {image: string}');
  const annotations = spec.annotations ?? {};
  if (!isObj(annotations) || Object.values(annotations).some((v) => typeof v !== 'string')) throw new BadReview('ImageReview.spec.annotations must be a map of strings');
  if (spec.namespace !== undefined && typeof spec.namespace !== 'string') throw new BadReview('ImageReview.spec.namespace must be a string');
  // Go's omitempty, as the review came: the spec is echoed in the answer.
  return { ...(containers.length ? { containers } : {}), ...(Object.keys(annotations).length ? { annotations } : {}), ...(spec.namespace ? { namespace: spec.namespace } : {}) };
}

export async function buildWebhookServer(o: WebhookServerOptions): Promise<FastifyInstance> {
  const timeout = o.requestTimeoutMs ?? 60_000;
  const app = Fastify({
    loggerInstance: o.log,
    bodyLimit: MAX_REVIEW_BYTES,
    requestTimeout: timeout,
    connectionTimeout: timeout,
    https: {
      cert: o.certPem,
      key: o.keyPem,
      ...(o.clientCaPem ? { ca: o.clientCaPem, requestCert: true, rejectUnauthorized: true } : {}),
      minVersion: 'TLSv1.2',
      ciphers: SERVING_CIPHERS,
    },
    http2: false,
  }) as unknown as FastifyInstance;
  app.server.on('secureConnection', refuseRenegotiation);
  // Every body stays bytes: the handlers say what a wrong one is, in the reviews' words.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REVIEW_BYTES }, (_req, body, done) => done(null, body));

  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));

  app.post('/imagereview', async (req, reply) => {
    let spec: ImageReviewSpec;
    try {
      spec = parseImageReview(jsonBody(req.headers['content-type'], req.body));
    } catch (err) {
      if (err instanceof BadReview) return bad(reply, err.message);
      throw err;
    }
    const status = await o.engine.imageReview(spec);
    return reply.type('application/json').send({ apiVersion: IMAGE_REVIEW_API_VERSION, kind: 'ImageReview', metadata: { creationTimestamp: null }, spec, status });
  });

  const reviews: [string, (doc: Record<string, any>) => Promise<unknown>][] = [['/authorize', (doc) => answerSubjectAccessReview(doc, o.authorizer)]];
  const authenticator = o.authenticator;
  if (authenticator) reviews.push(['/authenticate', (doc) => answerTokenReview(doc, authenticator)]);
  for (const [path, answer] of reviews) {
    app.post(path, async (req, reply) => {
      try {
        const body = await answer(decodeReview(jsonBody(req.headers['content-type'], req.body)));
        return reply.type('application/json').send(body);
      } catch (err) {
        if (err instanceof BadReview) return bad(reply, err.message);
        throw err;
      }
    });
  }

  for (const [path, run] of [['/validate', (a: Parameters<PolicyEngine['validate']>[0]) => o.engine.validate(a)], ['/mutate', (a: Parameters<PolicyEngine['mutate']>[0]) => o.engine.mutate(a)]] as const) {
    app.post(path, async (req, reply) => {
      let review;
      try {
        review = parseAdmissionReview(jsonBody(req.headers['content-type'], req.body));
      } catch (err) {
        if (err instanceof BadReview) return bad(reply, err.message);
        throw err;
      }
      const answer = await run(review.attributes);
      return reply.type('application/json').send(admissionResponse(review, answer));
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) o.log.error({ err }, 'webhook request failed');
    return reply.code(code).type('text/plain; charset=utf-8').send(`${code === 500 ? 'internal error' : err.message}\n`);
  });
  return app;
}
