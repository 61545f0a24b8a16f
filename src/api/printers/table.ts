/**
 * meta.k8s.io Table responses, as the apiserver builds them for `kubectl get`: the printer's
 * columns (all of them: the server always prints wide, kubectl hides priority > 0 unless -o wide),
 * a row per object and, in each row, the object as PartialObjectMetadata, in full, or not at all.
 */
import type { ResourceDef } from '../registry/resource-def.ts';
import { builtinPrinter, defaultPrinter } from './columns/index.ts';
import { crdPrinterColumns, customResourcePrinter } from './custom-columns.ts';
import type { PrinterColumn } from './custom-columns.ts';
import { obj, str } from './format.ts';
import type { Obj, Printer } from './types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';
export type TableVersion = 'v1' | 'v1beta1';

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface TableOptions {
  now: Date;
  includeObject: IncludeObject;
  /** The list's metadata; leave it out for a single object, whose resourceVersion the table takes. */
  listMeta?: ListMeta;
  /** meta.k8s.io version the client asked for (wantsTable); v1 by default. */
  version?: TableVersion;
  /** Printer columns of a custom resource's CRD version (crdPrinterColumns); else read from def.custom.printerColumns. */
  columns?: PrinterColumn[];
  /** Leave out the column definitions (watch events after the first). */
  noHeaders?: boolean;
}

const customPrinters = new WeakMap<PrinterColumn[], Printer>();

function customColumns(def: ResourceDef): PrinterColumn[] | undefined {
  const c = (def.custom as { printerColumns?: unknown } | undefined)?.printerColumns;
  return Array.isArray(c) ? (c as PrinterColumn[]) : undefined;
}

/** The printer of a resource: its built-in one, or its CRD's columns for a custom resource. */
export function printerFor(def: ResourceDef, columns?: PrinterColumn[]): Printer {
  if (!def.custom) return builtinPrinter(def.group, def.kind);
  const cols = columns ?? customColumns(def) ?? crdPrinterColumns(undefined, def.version);
  let p = customPrinters.get(cols);
  if (!p) {
    p = customResourcePrinter(cols);
    customPrinters.set(cols, p);
  }
  return p;
}

function rowObject(o: Obj, include: IncludeObject, apiVersion: string): unknown {
  if (include === 'None') return null;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj(o.metadata) };
}

function tableMeta(objects: Obj[], listMeta: ListMeta | undefined): ListMeta {
  const m: ListMeta = {};
  const rv = listMeta ? listMeta.resourceVersion : str(obj(objects[0]?.metadata).resourceVersion);
  if (rv) m.resourceVersion = rv;
  if (listMeta?.continue) m.continue = listMeta.continue;
  if (listMeta?.remainingItemCount !== undefined) m.remainingItemCount = listMeta.remainingItemCount;
  return m;
}

/** The Table of a list (or, without listMeta, of one object) of a resource. Objects are API objects (kind and apiVersion set). */
export function tableFor(def: ResourceDef, objects: object[], opts: TableOptions): object {
  const printer = printerFor(def, opts.columns);
  const apiVersion = `meta.k8s.io/${opts.version ?? 'v1'}`;
  const items = objects as Obj[];
  const rows = items.map((o) => {
    const row: Record<string, unknown> = { cells: printer.cells(o, opts.now) };
    const conditions = printer.conditions?.(o);
    if (conditions && conditions.length > 0) row.conditions = conditions;
    row.object = rowObject(o, opts.includeObject, apiVersion);
    return row;
  });
  return {
    kind: 'Table',
    apiVersion,
    metadata: tableMeta(items, opts.listMeta),
    // Go leaves these slices nil, which JSON shows as null: headers when asked for none, and the
    // rows of an empty list from the default convertor.
    columnDefinitions: opts.noHeaders ? null : printer.columns,
    rows: rows.length === 0 && printer === defaultPrinter ? null : rows,
  };
}

export interface WatchTableOptions {
  now: Date;
  includeObject: IncludeObject;
  /** The first event of the watch carries the column definitions; later ones leave them out. */
  first: boolean;
  version?: TableVersion;
  columns?: PrinterColumn[];
}

/** The object of one watch event when the watch asked for tables: a one-row Table. */
export function watchTableEvent(def: ResourceDef, object: object, opts: WatchTableOptions): object {
  const t: TableOptions = { now: opts.now, includeObject: opts.includeObject, noHeaders: !opts.first };
  if (opts.version) t.version = opts.version;
  if (opts.columns) t.columns = opts.columns;
  return tableFor(def, [object], t);
}

/** The includeObject query parameter; undefined for a value upstream rejects (see includeObjectError). */
export function parseIncludeObject(v: string | undefined | null): IncludeObject | undefined {
  if (v === undefined || v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  return undefined;
}

/** The message of the 400 BadRequest upstream answers for an unknown includeObject value. */
export function includeObjectError(v: string): string {
  return `unrecognized includeObject value: ${JSON.stringify(v)}`;
}
