/** Server-side printing: meta.k8s.io Tables for `kubectl get`. */
export { TABLE_CONTENT_TYPE, wantsTable } from './accept.ts';
export { crdPrinterColumns } from './custom-columns.ts';
export type { PrinterColumn } from './custom-columns.ts';
export { humanDuration } from './duration.ts';
export { includeObjectError, parseIncludeObject, printerFor, tableFor, watchTableEvent } from './table.ts';
export type { IncludeObject, ListMeta, TableOptions, TableVersion, WatchTableOptions } from './table.ts';
