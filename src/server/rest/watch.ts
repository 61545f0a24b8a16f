import type { ServerResponse } from 'node:http';
import { ApiError, badRequest } from '../../api/errors.ts';
import { groupVersion, listPrefix, objectKey } from '../../api/registry/resource-def.ts';
import type { StoredObject, WatchEvent } from '../../storage/types.ts';
import { apiObjectJson } from './serialize.ts';
import { watchTableEvent } from '../../api/printers/index.ts';
import { tableRequest } from './table-request.ts';
import { statusFromError } from '../status.ts';
import type { RestContext, RestRequest } from './context.ts';
import { toApiObject, type K8sObject } from './objects.ts';
import { parseResourceVersion } from './read.ts';
import { selectionFromQuery } from './selection.ts';

/** Upstream's default watch length is between 30 and 60 minutes; we take the lower bound. */
const DEFAULT_TIMEOUT_SECONDS = 1800;

/**
 * A watch streams one JSON event per line: ADDED, MODIFIED, DELETED, BOOKMARK, or a final
 * ERROR carrying a Status (410 Expired for a compacted resourceVersion). Selectors apply to
 * events as upstream: an object that stops matching is sent as DELETED, one that starts matching
 * as ADDED.
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
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  // A single-object watch (/watch/namespaces/ns/pods/name) is a name selector.
  // (Only a name in the path pins the key; fieldSelector=metadata.name=x also sets info.name for
  // authorization, but across namespaces it must stay a selector.)
  const pinnedName = info.parts.length >= 2 ? info.name : undefined;
  const prefix = pinnedName ? objectKey(def, info.namespace, pinnedName) : listPrefix(def, info.namespace);
  const matches = (o: K8sObject | undefined): boolean =>
    o !== undefined && (!pinnedName || o.metadata?.name === pinnedName) && selection.matches(o);

  const table = tableRequest(req);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', 'transfer-encoding': 'chunked' });
  // Clients wait for the headers before they trust the watch is established: send them now.
  res.flushHeaders();
  const send = (type: string, object: unknown) => {
    res.write(`{"type":"${type}","object":${JSON.stringify(object)}}\n`);
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
    res.write(`{"type":"${type}","object":${apiObjectJson(def, s)}}\n`);
  };
  let closed = false;
  let lastRevision = rv ?? 0;
  const cleanup: Array<() => void> = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    for (const c of cleanup) c();
    res.end();
  };
  onClose(finish);

  const bookmark = () => send('BOOKMARK', { kind: def.kind, apiVersion: groupVersion(def), metadata: { resourceVersion: String(lastRevision) } });

  let from: number;
  if (rv === undefined || rv === 0) {
    // "Get state and start at most recent": synthetic ADDED events for what exists now.
    const list = await ctx.store.list<K8sObject>(prefix, {});
    for (const item of list.items) {
      if (pinnedName && item.key !== prefix) continue;
      if (matches(toApiObject(def, item))) sendStored('ADDED', item);
    }
    from = list.revision;
    lastRevision = from;
  } else {
    from = rv;
  }

  const onEvent = (e: WatchEvent<K8sObject>) => {
    if (closed) return;
    if (pinnedName && e.key !== prefix) return;
    lastRevision = e.revision;
    const stored: StoredObject<K8sObject> = { key: e.key, value: e.value, createRevision: e.createRevision, modRevision: e.revision };
    const cur = toApiObject(def, stored);
    if (e.type === 'DELETED') {
      if (matches(cur)) sendStored('DELETED', stored);
      return;
    }
    const now = matches(cur);
    const before = e.type === 'MODIFIED' && e.prevValue !== undefined && (selection.everything && !pinnedName ? true : matches(toApiObject(def, { ...stored, value: e.prevValue })));
    if (now && before) sendStored('MODIFIED', stored);
    else if (now) sendStored('ADDED', stored);
    else if (before) sendStored('DELETED', stored);
  };
  try {
    const w = ctx.store.watch<K8sObject>(prefix, from, {
      onEvent,
      onError: (err) => {
        if (!closed) send('ERROR', statusFromError(err));
        finish();
      },
    });
    cleanup.push(() => w.close());
  } catch (err) {
    const e = (err as { code?: string }).code === 'Compacted'
      ? new ApiError(410, 'Expired', `too old resource version: ${from} (${ctx.store.compactedRevision()})`)
      : err;
    send('ERROR', statusFromError(e));
    finish();
    return;
  }
  const timer = setTimeout(() => {
    if (bookmarks && !closed) bookmark();
    finish();
  }, timeoutSeconds * 1000);
  cleanup.push(() => clearTimeout(timer));
  if (bookmarks) {
    const t = setInterval(() => {
      if (!closed) bookmark();
    }, ctx.bookmarkIntervalMs);
    cleanup.push(() => clearInterval(t));
  }
}
