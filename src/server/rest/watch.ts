import type { ServerResponse } from 'node:http';
import { ApiError, badRequest, tooLargeResourceVersion } from '../../api/errors.ts';
import { groupVersion, listPrefix, objectKey } from '../../api/registry/resource-def.ts';
import { StorageError } from '../../storage/types.ts';
import type { StoredObject, Watcher, WatchEvent } from '../../storage/types.ts';
import { watchTableEvent } from '../../api/printers/index.ts';
import { tableRequest } from './table-request.ts';
import { statusFromError } from '../status.ts';
import type { RestContext, RestRequest } from './context.ts';
import { toApiObject, type K8sObject } from './objects.ts';
import { parseResourceVersion } from './read.ts';
import { selectionFromQuery } from './selection.ts';
import { WatchOutput } from './watch-output.ts';
import { queryFlag } from './query-bool.ts';
import { watchEncoding } from './watch-encoding.ts';
import { header } from './decode-object.ts';

/** Upstream's default watch length is between 30 and 60 minutes; we take the lower bound. */
const DEFAULT_TIMEOUT_SECONDS = 1800;
/** Node fires a longer timer after 1 ms: a timeoutSeconds of a month would end the watch at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A watch streams one event per JSON line (or per protobuf frame, see watch-encoding.ts): ADDED,
 * MODIFIED, DELETED, BOOKMARK, or a final ERROR carrying a Status (410 Expired for a compacted resourceVersion). Selectors apply to
 * events as upstream: an object that stops matching is sent as DELETED, one that starts matching
 * as ADDED.
 *
 * Memory stays bounded however the client behaves: each user holds at most maxPerUser watches;
 * nothing is written while the socket is over its high-water mark (the store watcher is paused
 * and queues shared values, up to the backlog bound); a watch whose client falls further behind
 * than that just ends, as upstream's cacher ends an unresponsive watcher, and the client
 * re-watches or relists. The initial ADDED burst waits for 'drain' in the same way.
 */
export async function serveWatch(ctx: RestContext, req: RestRequest, res: ServerResponse, onClose: (fn: () => void) => void): Promise<void> {
  const { def, info, query } = req;
  const selection = selectionFromQuery(def, query);
  const rv = parseResourceVersion(query.get('resourceVersion'));
  const timeoutRaw = query.get('timeoutSeconds');
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (timeoutRaw !== null && timeoutRaw !== '') {
    if (!/^\d+$/.test(timeoutRaw)) throw badRequest(`invalid timeoutSeconds: ${JSON.stringify(timeoutRaw)}`);
    timeoutSeconds = Number(timeoutRaw);
  }
  const bookmarks = queryFlag(query, 'allowWatchBookmarks');
  // A single-object watch (/watch/namespaces/ns/pods/name) is a name selector.
  // (Only a name in the path pins the key; fieldSelector=metadata.name=x also sets info.name for
  // authorization, but across namespaces it must stay a selector.)
  const pinnedName = info.parts.length >= 2 ? info.name : undefined;
  const prefix = pinnedName ? objectKey(def, info.namespace, pinnedName) : listPrefix(def, info.namespace);
  const matches = (o: K8sObject | undefined): boolean =>
    o !== undefined && (!pinnedName || o.metadata?.name === pinnedName) && selection.matches(o);

  const table = tableRequest(req);
  // JSON lines or protobuf frames, by Accept; refused (406) before any header.
  const encoding = watchEncoding(ctx.schema, def, header(req, 'accept'), table !== undefined);
  // Refused before any header: over the cap is a plain 429 Status.
  const release = ctx.watches.acquire(req.user);
  let closed = false;
  let watcher: Watcher | undefined;
  const cleanup: Array<() => void> = [release];
  const stop = () => {
    if (closed) return;
    closed = true;
    for (const c of cleanup) c();
  };
  // The initial burst resumes the watcher itself when it is done.
  let bursting = false;
  const out = new WatchOutput(
    res,
    ctx.watches,
    () => {
      if (!bursting) watcher?.resume();
    },
    req.onWatchEvent,
  );
  const finish = () => {
    stop();
    out.end();
  };
  try {
    res.writeHead(200, { 'content-type': encoding.contentType, 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
    // Clients wait for the headers before they trust the watch is established: send them now.
    res.flushHeaders();
    onClose(finish);
  } catch (err) {
    stop();
    throw err;
  }
  // A client gone before we listened for 'close' would otherwise hold its slot until the timeout.
  // (res.socket is null while an earlier response on the same keep-alive connection is still
  // finishing: Node queues this one, so the request's socket is the one to ask.)
  const socket = res.req?.socket ?? res.socket;
  if (res.destroyed || !socket || socket.destroyed) {
    finish();
    return;
  }
  const send = (type: string, object: unknown) => {
    out.write(encoding.event(type, object));
  };
  let firstRow = true;
  const sendStored = (type: string, s: StoredObject<K8sObject>) => {
    if (table) {
      // kubectl get -w: every event carries a one-row Table; only the first has the columns.
      const t = watchTableEvent(def, toApiObject(def, s), { now: ctx.now(), includeObject: table.includeObject, version: table.version, first: firstRow });
      firstRow = false;
      send(type, t);
      return;
    }
    let chunk;
    try {
      chunk = encoding.stored(type, s);
    } catch (err) {
      // A stored value that cannot be written in the stream's format ends this watch with the
      // reason, never the server; the client sees an ERROR event and relists.
      send('ERROR', statusFromError(err));
      finish();
      return;
    }
    out.write(chunk);
  };
  let lastRevision = rv ?? 0;

  // As upstream's cacher, a bookmark carries the newest revision this watch has been given every
  // event up to, not its last event's: a resource nobody writes would otherwise name its list's
  // revision for ever, and its re-watch would fall out of the history (410, relist). Nothing may
  // be queued for it (deliveredRevision() is undefined then): resuming past a waiting event loses it.
  const bookmark = () => {
    const delivered = watcher?.deliveredRevision?.();
    if (delivered !== undefined && delivered > lastRevision) lastRevision = delivered;
    send('BOOKMARK', { kind: def.kind, apiVersion: groupVersion(def), metadata: { resourceVersion: String(lastRevision) } });
  };

  const onEvent = (e: WatchEvent<K8sObject>) => {
    if (closed) return;
    if (pinnedName && e.key !== prefix) return;
    lastRevision = e.revision;
    const stored: StoredObject<K8sObject> = { key: e.key, value: e.value, createRevision: e.createRevision, modRevision: e.revision };
    const cur = toApiObject(def, stored);
    if (e.type === 'DELETED') {
      if (matches(cur)) sendStored('DELETED', stored);
    } else {
      const now = matches(cur);
      const before = e.type === 'MODIFIED' && e.prevValue !== undefined && (selection.everything && !pinnedName ? true : matches(toApiObject(def, { ...stored, value: e.prevValue })));
      if (now && before) sendStored('MODIFIED', stored);
      else if (now) sendStored('ADDED', stored);
      else if (before) sendStored('DELETED', stored);
    }
    // The socket is full: later events wait in the watcher's bounded queue until 'drain'.
    if (out.blocked) watcher?.pause();
  };
  const handlers = {
    onEvent,
    onError: (err: Error) => {
      if (closed) return;
      if (err instanceof StorageError && err.code === 'TooSlow') {
        // Upstream ends such a watch without an ERROR event; the client re-watches from the last
        // resourceVersion it saw, or relists.
        ctx.watches.stats.closedTooSlow++;
        ctx.log.info({ user: req.user.username, path: prefix }, 'closing a watch whose client fell too far behind');
      } else {
        send('ERROR', statusFromError(err));
      }
      finish();
    },
    backlog: { maxEvents: ctx.watches.limits.maxBacklogEvents, maxBytes: ctx.watches.limits.maxBacklogBytes },
  };
  const startWatch = (from: number): boolean => {
    try {
      watcher = ctx.store.watch<K8sObject>(prefix, from, handlers);
      cleanup.push(() => watcher?.close());
      return true;
    } catch (err) {
      const e = (err as { code?: string }).code === 'Compacted'
        ? new ApiError(410, 'Expired', `too old resource version: ${from} (${ctx.store.compactedRevision()})`)
        : err;
      send('ERROR', statusFromError(e));
      finish();
      return false;
    }
  };

  if (rv === undefined || rv === 0) {
    // "Get state and start at most recent": synthetic ADDED events for what exists now.
    let list;
    try {
      list = await ctx.store.list<K8sObject>(prefix, {});
    } catch (err) {
      stop();
      throw err;
    }
    if (closed) return;
    lastRevision = list.revision;
    // Registered before the burst and paused through it: what changes meanwhile counts against
    // the backlog bound, so a client that stalls in the burst is closed like any other.
    if (!startWatch(list.revision)) return;
    watcher?.pause();
    bursting = true;
    for (const item of list.items) {
      if (out.blocked && !(await out.drained())) return;
      if (closed) return;
      if (pinnedName && item.key !== prefix) continue;
      if (matches(toApiObject(def, item))) sendStored('ADDED', item);
    }
    bursting = false;
    if (!out.blocked) watcher?.resume();
  } else {
    if (!startWatch(rv)) return;
    awaitFreshness(ctx, rv, cleanup, () => closed, (e) => {
      send('ERROR', statusFromError(e));
      finish();
    });
  }
  if (closed) return;

  const timer = setTimeout(() => {
    if (bookmarks && !closed && !out.blocked) bookmark();
    finish();
  }, Math.min(timeoutSeconds * 1000, MAX_TIMER_MS));
  cleanup.push(() => clearTimeout(timer));
  if (bookmarks) {
    const t = setInterval(() => {
      // A client that is not reading gets no bookmarks either.
      if (!closed && !out.blocked) bookmark();
    }, ctx.bookmarkIntervalMs);
    cleanup.push(() => clearInterval(t));
  }
}

/**
 * A watch from a resourceVersion the store has not reached yet: the store watch already skips
 * everything up to it, so the events are right once the store gets there; give it
 * freshnessTimeoutMs (upstream's watch cache waits 3 s), then refuse as upstream does.
 */
function awaitFreshness(ctx: RestContext, rv: number, cleanup: Array<() => void>, isClosed: () => boolean, fail: (e: ApiError) => void): void {
  if (rv <= ctx.store.currentRevision()) return;
  const t = setTimeout(() => {
    const current = ctx.store.currentRevision();
    if (!isClosed() && rv > current) fail(tooLargeResourceVersion(rv, current));
  }, ctx.watches.limits.freshnessTimeoutMs);
  cleanup.push(() => clearTimeout(t));
}
