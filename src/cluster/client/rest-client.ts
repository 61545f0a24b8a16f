/**
 * The ApiClient over HTTPS (client-go's rest client): paths for core and group resources,
 * namespaces and subresources; JSON, or protobuf answers where the kind has a protobuf form and
 * the config asks for it (request bodies stay JSON); every failure an ApiStatusError from the
 * server's Status; retries by the transport; watches streamed with line framing (JSON) or length
 * framing (protobuf), bookmarks passed through.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { loadSchema } from '../../api/schema/schema.ts';
import type { Schema } from '../../api/schema/types.ts';
import { ApiStatusError, asApiStatusError, statusError } from './errors.ts';
import { apiVersionOf } from './resources.ts';
import { HttpsTransport, type TransportOptions, type TransportRequest } from './transport.ts';
import { lengthFramer, lineFramer, parseProtobufWatchEvent } from './watch-decoder.ts';
import type {
  ApiClient, ClientConfig, DeleteOptions, K8sObject, ListOptions, ListResult, PatchType, ResourceRef,
  WatchEvent, WatchHandle, WatchOptions, WriteOptions,
} from './types.ts';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const JSON_TYPE = 'application/json';
const PATCH_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Transport tuning beside the shared ClientConfig (tests shorten the backoff). */
export type RestClientOptions = Omit<TransportOptions, 'server' | 'identity' | 'userAgent' | 'maxRetries'>;

/**
 * The protobuf codec (and protobufjs under it), loaded by the first client that asks for protobuf:
 * a client that never does (the node agent's) does not hold it (~0.7 MiB of heap).
 */
interface ProtobufCodec {
  decodeProtobufObject: typeof import('../../api/codecs/protobuf.ts').decodeProtobufObject;
  protobufTypeOf: typeof import('../../api/codecs/protobuf-encode.ts').protobufTypeOf;
}
let codec: ProtobufCodec | undefined;
let codecLoading: Promise<ProtobufCodec> | undefined;
function loadCodec(): Promise<ProtobufCodec> {
  codecLoading ??= Promise.all([import('../../api/codecs/protobuf.ts'), import('../../api/codecs/protobuf-encode.ts')]).then(([d, e]) => (codec = { decodeProtobufObject: d.decodeProtobufObject, protobufTypeOf: e.protobufTypeOf }));
  return codecLoading;
}
const isProtobuf = (headers: IncomingHttpHeaders) => String(headers['content-type'] ?? '').split(';')[0]!.trim() === PROTOBUF;
/** A promise of the codec when an answer is protobuf (asked for, or not) and it is not loaded yet: to await before decoding. */
function codecFor(headers: IncomingHttpHeaders): Promise<unknown> | undefined {
  return !codec && isProtobuf(headers) ? loadCodec() : undefined;
}

let statusSchema: Schema | undefined;
/** The built-in schema, plus meta/v1 Status, which answers and watch ERROR events carry. */
function protobufSchema(): Schema {
  if (!statusSchema) {
    const base = loadSchema();
    statusSchema = {
      typeNameForKind: (gvk) => (gvk.kind === 'Status' && gvk.version === 'v1' ? 'k8s.io.apimachinery.pkg.apis.meta.v1.Status' : base.typeNameForKind(gvk)),
      type: (name) => base.type(name),
    };
  }
  return statusSchema;
}

function encodeSegment(s: string): string {
  if (s === '' || s === '.' || s === '..') throw new ApiStatusError(0, '', `invalid path segment ${JSON.stringify(s)}`);
  return encodeURIComponent(s);
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function writeParams(o?: WriteOptions): Record<string, string | boolean | undefined> {
  return { dryRun: o?.dryRun ? 'All' : undefined, fieldManager: o?.fieldManager, force: o?.force || undefined };
}

export class RestClient implements ApiClient {
  readonly config: ClientConfig;
  readonly transport: HttpsTransport;
  private readonly watches = new Set<WatchHandle>();
  /** Answers and watch events decoded from protobuf (tests and metrics). */
  readonly stats = { protobufAnswers: 0 };

  constructor(config: ClientConfig, opts: RestClientOptions = {}) {
    this.config = config;
    this.transport = new HttpsTransport({ ...opts, server: config.server, identity: config.identity, userAgent: config.userAgent, maxRetries: config.maxRetries, maxIdleConnections: config.maxIdleConnections, ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}) });
  }

  /** /api/v1[/namespaces/ns]/resource[/name[/sub]] or /apis/group/version/... */
  path(r: ResourceRef, namespace: string, name?: string, subresource?: string): string {
    let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) p += `/namespaces/${encodeSegment(namespace)}`;
    p += `/${r.resource}`;
    if (name !== undefined) p += `/${encodeSegment(name)}`;
    if (subresource) p += `/${encodeSegment(subresource)}`;
    return p;
  }

  /** Whether answers for `r` (and its list) are asked for in protobuf: false, or (when the config asks for protobuf) a promise of it once the codec is loaded. */
  private protobufFor(r: ResourceRef, kind = r.kind): boolean | Promise<boolean> {
    if (!this.config.protobuf) return false;
    const typed = (c: ProtobufCodec) => c.protobufTypeOf(protobufSchema(), apiVersionOf(r), kind) !== undefined;
    return codec ? typed(codec) : loadCodec().then(typed);
  }

  private accept(proto: boolean): string {
    return proto ? `${PROTOBUF}, ${JSON_TYPE}` : JSON_TYPE;
  }

  private decode(headers: IncomingHttpHeaders, body: Buffer): unknown {
    if (isProtobuf(headers)) {
      this.stats.protobufAnswers++;
      // Loaded by then (codecFor).
      return codec!.decodeProtobufObject(protobufSchema(), body);
    }
    return body.length ? JSON.parse(body.toString('utf8')) : {};
  }

  private errorFrom(method: string, path: string, status: number, headers: IncomingHttpHeaders, body: Buffer | undefined): ApiStatusError {
    let decoded: unknown;
    try {
      decoded = body ? this.decode(headers, body) : undefined;
    } catch {
      decoded = undefined;
    }
    const text = body ? body.subarray(0, 512).toString('utf8') : '';
    return statusError(status, decoded, `${method} ${path}: the server answered ${status}${text && decoded === undefined ? `: ${text}` : ''}`);
  }

  private async call<T>(req: TransportRequest, protobuf: boolean | Promise<boolean>): Promise<T> {
    const proto = typeof protobuf === 'boolean' ? protobuf : await protobuf;
    const headers: Record<string, string> = { accept: this.accept(proto), ...req.headers };
    const res = await this.transport.request({ ...req, headers });
    const loading = codecFor(res.headers);
    if (loading) await loading;
    if (res.status < 200 || res.status >= 300) throw this.errorFrom(req.method, req.path, res.status, res.headers, res.body);
    try {
      return this.decode(res.headers, res.body) as T;
    } catch (err) {
      throw new ApiStatusError(0, '', `${req.method} ${req.path}: undecodable answer: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  private json(body: unknown): { headers: Record<string, string>; body: string } {
    return { headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(body) };
  }

  /** A DELETE of any path (a node agent's endpoint through nodes/proxy); the answer is not read. */
  async deletePath(path: string): Promise<void> {
    // Not retried here: a node that is down answers 5xx, and the caller's queue retries with its own backoff.
    const res = await this.transport.request({ method: 'DELETE', path, idempotent: false, headers: { accept: '*/*' } });
    if (res.status < 200 || res.status >= 300) throw this.errorFrom('DELETE', path, res.status, res.headers, res.body);
  }

  /** A GET of any JSON document by path (discovery: /api/v1, /apis, /apis/<group>/<version>). */
  getPath<T>(path: string): Promise<T> {
    return this.call<T>({ method: 'GET', path, idempotent: true }, false);
  }

  get<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource?: string): Promise<T> {
    return this.call<T>({ method: 'GET', path: this.path(r, namespace, name, subresource), idempotent: true }, !subresource && this.protobufFor(r));
  }

  async list<T extends K8sObject>(r: ResourceRef, namespace: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    const path = this.path(r, namespace) + query({ ...opts });
    const out = await this.call<ListResult<T>>({ method: 'GET', path, idempotent: true }, this.protobufFor(r, `${r.kind}List`));
    // Items arrive without apiVersion/kind in protobuf (and from some servers in JSON): give every
    // item its type, so what a caller holds does not depend on the wire format.
    const apiVersion = apiVersionOf(r);
    out.items = (out.items ?? []).map((o) => (o.apiVersion && o.kind ? o : { apiVersion, kind: r.kind, ...o }));
    return out;
  }

  create<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, opts?: WriteOptions): Promise<T> {
    return this.call<T>({ method: 'POST', path: this.path(r, namespace) + query(writeParams(opts)), idempotent: false, ...this.json(obj) }, this.protobufFor(r));
  }

  update<T extends K8sObject>(r: ResourceRef, namespace: string, obj: T, subresource?: string, opts?: WriteOptions): Promise<T> {
    const path = this.path(r, namespace, obj.metadata?.name ?? '', subresource) + query(writeParams(opts));
    return this.call<T>({ method: 'PUT', path, idempotent: true, ...this.json(obj) }, !subresource && this.protobufFor(r));
  }

  patch<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, type: PatchType, patch: unknown, subresource?: string, opts?: WriteOptions): Promise<T> {
    const path = this.path(r, namespace, name, subresource) + query(writeParams(opts));
    return this.call<T>({ method: 'PATCH', path, idempotent: false, headers: { 'content-type': PATCH_TYPES[type] }, body: JSON.stringify(patch) }, !subresource && this.protobufFor(r));
  }

  async delete(r: ResourceRef, namespace: string, name: string, opts: DeleteOptions = {}): Promise<void> {
    const { dryRun, ...rest } = opts;
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...rest, ...(dryRun ? { dryRun: ['All'] } : {}) };
    await this.call<unknown>({ method: 'DELETE', path: this.path(r, namespace, name), idempotent: true, ...this.json(body) }, false);
  }

  async deleteCollection(r: ResourceRef, namespace: string, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<void> {
    const { dryRun, labelSelector, fieldSelector, ...rest } = opts;
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', ...rest, ...(dryRun ? { dryRun: ['All'] } : {}) };
    await this.call<unknown>({ method: 'DELETE', path: this.path(r, namespace) + query({ labelSelector, fieldSelector }), idempotent: true, ...this.json(body) }, false);
  }

  postSubresource<T extends K8sObject>(r: ResourceRef, namespace: string, name: string, subresource: string, body: K8sObject): Promise<T> {
    return this.call<T>({ method: 'POST', path: this.path(r, namespace, name, subresource), idempotent: false, ...this.json(body) }, false);
  }

  watch<T extends K8sObject>(r: ResourceRef, namespace: string, opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void, onClose: (err?: Error) => void): WatchHandle {
    const ac = new AbortController();
    let done = false;
    const handle: WatchHandle = { close: () => finish() };
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      this.watches.delete(handle);
      ac.abort();
      onClose(err);
    };
    this.watches.add(handle);
    const protobuf = this.protobufFor(r);
    const path = this.path(r, namespace) + query({
      watch: 'true', resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks || undefined, timeoutSeconds: opts.timeoutSeconds,
    });
    void (async () => {
      let s;
      try {
        const proto = typeof protobuf === 'boolean' ? protobuf : await protobuf;
        s = await this.transport.stream({ method: 'GET', path, idempotent: true, headers: { accept: this.accept(proto) } }, ac.signal);
      } catch (err) {
        finish(asApiStatusError(err));
        return;
      }
      if (done) {
        s.res?.destroy();
        return;
      }
      const res = s.res;
      const loading = codecFor(s.headers);
      if (loading) await loading;
      if (!res) {
        finish(this.errorFrom('GET', path, s.status, s.headers, s.body));
        return;
      }
      const isProto = String(res.headers['content-type'] ?? '').startsWith(PROTOBUF);
      if (isProto && !codec) await loadCodec();
      if (done) {
        res.destroy();
        return;
      }
      const framer = isProto ? lengthFramer() : lineFramer();
      const decodeFrame = (frame: Buffer): WatchEvent<T> => {
        if (!isProto) return JSON.parse(frame.toString('utf8')) as WatchEvent<T>;
        const ev = parseProtobufWatchEvent(frame);
        this.stats.protobufAnswers++;
        return { type: ev.type as WatchEvent<T>['type'], object: codec!.decodeProtobufObject(protobufSchema(), ev.raw) as T };
      };
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        let events: WatchEvent<T>[];
        try {
          events = framer.push(chunk).map(decodeFrame);
        } catch (err) {
          finish(new ApiStatusError(0, '', `watch ${path}: undecodable event: ${(err as Error).message}`, undefined, { cause: err }));
          return;
        }
        for (const e of events) {
          if (done) return;
          try {
            onEvent(e);
          } catch (err) {
            // A throwing handler ends its watch (with that error) instead of the process.
            finish(err instanceof Error ? err : new Error(String(err)));
            return;
          }
        }
      });
      res.on('end', () => finish(framer.pending() > 0 ? new ApiStatusError(0, '', `watch ${path}: stream ended inside an event`) : undefined));
      res.on('error', (err) => finish(new ApiStatusError(0, '', `watch ${path}: ${err.message}`, undefined, { cause: err })));
      res.on('close', () => finish(new ApiStatusError(0, '', `watch ${path}: connection closed`)));
    })();
    return handle;
  }

  close(): void {
    for (const w of [...this.watches]) w.close();
    this.transport.close();
  }
}
