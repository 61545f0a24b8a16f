/**
 * Tables of custom resources, after apiextensions' tableconvertor: Name, then the CRD version's
 * additionalPrinterColumns, or a single Age column when the version lists none.
 */
import { doc } from './field-docs.ts';
import { parseTime, since } from './duration.ts';
import { goPrint } from './go-print.ts';
import { compileJsonPath } from './jsonpath.ts';
import type { JsonPath } from './jsonpath.ts';
import { NAME } from './columns/meta.ts';
import { obj, str } from './format.ts';
import type { Obj, Printer } from './types.ts';

/** One entry of a CRD version's additionalPrinterColumns. */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The columns served for a CRD version; upstream's logical default (Age) when it lists none. */
export function crdPrinterColumns(crd: unknown, version: string): PrinterColumn[] {
  const versions = obj(obj(crd).spec).versions;
  const v = Array.isArray(versions) ? (versions as Obj[]).find((x) => x?.name === version) : undefined;
  const cols = Array.isArray(v?.additionalPrinterColumns) ? (v.additionalPrinterColumns as PrinterColumn[]) : [];
  if (cols.length > 0) return cols;
  return [{ name: 'Age', type: 'date', description: doc('meta/v1:ObjectMeta.creationTimestamp'), jsonPath: '.metadata.creationTimestamp' }];
}

/** cellForJSONValue: the cell of a non-string column; null when the value does not fit the type. */
function typedCell(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'string':
      return typeof value === 'string' ? value : null;
    case 'date':
      if (typeof value !== 'string') return null;
      // UnmarshalQueryParameter: "" and "null" are the zero time, anything else must be RFC 3339.
      if (value === '' || value === 'null') return '<unknown>';
      return parseTime(value) === undefined ? '<invalid>' : since(value, now);
  }
  return null;
}

export function customResourcePrinter(columns: PrinterColumn[]): Printer {
  const paths: (JsonPath | undefined)[] = columns.map((c) => {
    try {
      return compileJsonPath(c.jsonPath);
    } catch {
      return undefined;
    }
  });
  return {
    columns: [
      NAME,
      ...columns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? '',
        description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        priority: c.priority ?? 0,
      })),
    ],
    cells(o, now) {
      const cells: unknown[] = [str(obj(o.metadata).name)];
      columns.forEach((c, i) => {
        const results = paths[i]?.(o) ?? [];
        if (results.length === 0) {
          cells.push(null);
          return;
        }
        const value = results[0];
        if (c.type === 'string') cells.push(value === null || value === undefined ? null : goPrint(value));
        else cells.push(typedCell(c.type, value, now));
      });
      return cells;
    },
  };
}
