/**
 * Column descriptions read from the generated API documentation (docs.json, the same field
 * comments upstream's SwaggerDoc() returns), for the printers of kinds added after field-docs.ts
 * was written. docs.json is large, so a printer built with lazyPrinter reads it only when its
 * columns are first asked for (a Table response), never at import.
 */
import { loadDocs } from '../../openapi/docs.ts';
import type { ColumnDefinition, Printer } from '../types.ts';

/** The documentation of a field of k8s.io.api.<type> (e.g. "storage.v1.StorageClass", "provisioner"); throws when absent. */
export function protoDoc(type: string, field: string): string {
  const d = loadDocs().field(type.startsWith('k8s.io.') ? type : `k8s.io.api.${type}`, field);
  if (d === undefined) throw new Error(`no API documentation for ${type}.${field}`);
  return d;
}

/** A printer whose column definitions are computed once, on first use. */
export function lazyPrinter(columns: () => ColumnDefinition[], cells: Printer['cells']): Printer {
  let cached: ColumnDefinition[] | undefined;
  return {
    get columns() {
      cached ??= columns();
      return cached;
    },
    cells,
  };
}
